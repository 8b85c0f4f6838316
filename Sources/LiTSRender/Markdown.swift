import Foundation
import LiTSCore

/// A Markdown page built line by line; links are written relative to the page.
public struct MarkdownPage: Sendable {
    public private(set) var lines: [String] = []

    public init(title: String) {
        lines = ["# \(MarkdownPage.oneLine(title))", ""]
    }

    public mutating func heading(_ text: String, level: Int = 2) {
        lines += [String(repeating: "#", count: level) + " " + MarkdownPage.oneLine(text), ""]
    }

    /// A heading ends at the line's end: line breaks in a (user-given) title become spaces.
    static func oneLine(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
    }

    public mutating func paragraph(_ text: String) {
        lines += [text, ""]
    }

    public mutating func bullets(_ items: [String]) {
        guard !items.isEmpty else { return }
        lines += items.map { "- " + $0 } + [""]
    }

    public mutating func table(_ header: [String], _ rows: [[String]], alignRight: Set<Int> = []) {
        func escape(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        lines.append("| " + header.map(escape).joined(separator: " | ") + " |")
        lines.append("|" + header.indices.map { alignRight.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|")
        lines += rows.map { "| " + $0.map(escape).joined(separator: " | ") + " |" }
        lines.append("")
    }

    public mutating func image(_ alt: String, path: String) {
        lines += ["![\(alt)](\(path))", ""]
    }

    public mutating func code(_ text: String, language: String = "") {
        lines += ["```\(language)"] + text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) + ["```", ""]
    }

    public var text: String { lines.joined(separator: "\n") }

    public func write(to path: String) throws {
        try AtomicFile.write(text, to: path)
    }
}
