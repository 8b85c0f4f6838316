import Foundation
import XCTest

/// docs/CLI.md is generated from the tool's help (scripts/cli_reference.sh); this keeps it current.
final class CLIReferenceTests: XCTestCase {
    func testReferenceMatchesHelp() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("docs/CLI.md"), encoding: .utf8)
        let top = try runLits(["--help"])
        XCTAssertTrue(doc.contains(top.stdout), "docs/CLI.md is stale: run scripts/cli_reference.sh")
        let subcommands = top.stdout.components(separatedBy: "SUBCOMMANDS:").last!
            .split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) }
            .filter { $0 != "See" }
        XCTAssertGreaterThanOrEqual(subcommands.count, 3)
        for sub in subcommands {
            let help = try runLits(["help", sub])
            XCTAssertTrue(doc.contains("## lits \(sub)\n\n```\n\(help.stdout)```"), "docs/CLI.md is stale for \(sub): run scripts/cli_reference.sh")
        }
    }
}
