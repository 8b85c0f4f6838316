import Foundation
import LiTSCore

/// A Markdown walkthrough whose ```sh blocks run in order. Each cell's output is kept in the
/// ```output block right after it. A cell opened with ```sh varies (timings, dates) is run and
/// refreshed, but its output is not compared by `check`.
public struct MarkdownNotebook {
    public struct Cell {
        public var line: Int              // 1-based line of the opening fence
        public var code: String
        public var varies: Bool
        public var output: String?        // stored output, if any
        public var range: Range<Int>      // lines of the cell and its output block
    }

    public let path: String
    public private(set) var lines: [String]
    public private(set) var cells: [Cell]

    public init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LiTSError(.notFound, path: path, "no such notebook")
        }
        self.path = path
        lines = text.components(separatedBy: "\n")
        cells = []
        var n = 0
        while n < lines.count {
            let fence = lines[n].trimmingCharacters(in: .whitespaces)
            guard fence == "```sh" || fence == "```sh varies" else { n += 1; continue }
            let start = n
            guard let close = lines[(n + 1)...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "```" }) else {
                throw LiTSError(.invalidArgument, path: "\(path):\(start + 1)", "code cell is never closed")
            }
            let code = lines[(n + 1)..<close].joined(separator: "\n")
            var end = close + 1
            var output: String?
            // An output block directly after the cell (blank lines allowed between).
            var m = end
            while m < lines.count && lines[m].trimmingCharacters(in: .whitespaces).isEmpty { m += 1 }
            if m < lines.count && lines[m].trimmingCharacters(in: .whitespaces) == "```output",
               let outClose = lines[(m + 1)...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "```" }) {
                output = lines[(m + 1)..<outClose].joined(separator: "\n")
                end = outClose + 1
            }
            cells.append(Cell(line: start + 1, code: code, varies: fence.hasSuffix("varies"), output: output, range: start..<end))
            n = end
        }
    }

    /// Runs a cell with bash (errexit, pipefail) in `directory`; returns the exit status and the
    /// combined output.
    static func run(_ code: String, in directory: String, tool: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-e", "-o", "pipefail", "-c", code]
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = URL(fileURLWithPath: tool).deletingLastPathComponent().path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") { text.removeLast() }
        return (p.terminationStatus, text)
    }

    /// Runs every cell in order; stops at the first failure with the cell's line number.
    public func execute(in directory: String, tool: String, log: (String) -> Void) throws -> [String] {
        var outputs: [String] = []
        for (i, cell) in cells.enumerated() {
            log("\(path):\(cell.line): cell \(i + 1)/\(cells.count)")
            let (status, output) = try MarkdownNotebook.run(cell.code, in: directory, tool: tool)
            guard status == 0 else {
                let last = output.split(separator: "\n").last.map(String.init) ?? ""
                throw LiTSError(.invalidValues, path: "\(path):\(cell.line)", "cell failed with exit status \(status): \(last)")
            }
            outputs.append(output)
        }
        return outputs
    }

    /// The notebook text with every cell's output block replaced by `outputs`.
    public func withOutputs(_ outputs: [String]) -> String {
        var out: [String] = []
        var n = 0
        for (cell, output) in zip(cells, outputs) {
            out += lines[n..<cell.range.lowerBound]
            out += [cell.varies ? "```sh varies" : "```sh"] + cell.code.components(separatedBy: "\n") + ["```", "", "```output"]
            out += output.isEmpty ? [] : output.components(separatedBy: "\n")
            out.append("```")
            n = cell.range.upperBound
        }
        out += lines[n...]
        return out.joined(separator: "\n")
    }

    /// `lits notebook run`: runs the cells and writes their outputs into the file.
    public func runAndStore(in directory: String, tool: String, log: (String) -> Void) throws {
        try AtomicFile.write(withOutputs(try execute(in: directory, tool: tool, log: log)), to: path)
    }

    /// `lits notebook check`: runs the cells and returns those whose output differs from the stored one.
    public func check(in directory: String, tool: String, log: (String) -> Void) throws -> [Cell] {
        differences(try execute(in: directory, tool: tool, log: log))
    }

    /// Cells whose fresh output differs from the stored one (varying cells skipped).
    public func differences(_ outputs: [String]) -> [Cell] {
        zip(cells, outputs).filter { cell, output in !cell.varies && (cell.output ?? "") != output }.map(\.0)
    }
}
