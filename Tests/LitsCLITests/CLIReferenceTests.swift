import Foundation
import XCTest

/// docs/CLI.md is generated from the tool's help (scripts/cli_reference.sh); this keeps it current.
final class CLIReferenceTests: XCTestCase {
    func testReferenceMatchesHelp() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/CLI.md"), encoding: .utf8)
        let top = try runLits(["--help"])
        XCTAssertTrue(doc.contains(top.stdout), "docs/CLI.md is stale: run scripts/cli_reference.sh")
        func subcommands(of help: String) -> [String] {
            guard help.contains("SUBCOMMANDS:") else { return [] }
            return help.components(separatedBy: "SUBCOMMANDS:").last!
                .split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
                .compactMap { $0.split(separator: " ").first.map(String.init) }
                .filter { $0 != "See" }
        }
        let topLevel = subcommands(of: top.stdout)
        XCTAssertGreaterThanOrEqual(topLevel.count, 4)
        for sub in topLevel {
            let help = try runLits(["help", sub])
            XCTAssertTrue(doc.contains("## lits \(sub)\n\n```\n\(help.stdout)```"), "docs/CLI.md is stale for \(sub): run scripts/cli_reference.sh")
            for nested in subcommands(of: help.stdout) {
                let h = try runLits(["help", sub, nested])
                XCTAssertTrue(doc.contains("### lits \(sub) \(nested)\n\n```\n\(h.stdout)```"), "docs/CLI.md is stale for \(sub) \(nested)")
            }
        }
    }
}
