import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSCore
import LiTSRender

struct Notebook: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Markdown walkthroughs (```sh cells) and keep or check their outputs.",
        subcommands: [RunNotebook.self, CheckNotebook.self])

    static var tool: String { URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path }

    static func log(_ line: String) { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
}

struct RunNotebook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Execute the cells in order and write each cell's output into the ```output block under it.",
        discussion: "Each cell runs as a bash command with your rights, in --directory.")

    @OptionGroup var options: NotebookArguments

    func run() throws {
        try runReportingErrors {
            for file in options.files {
                let notebook = try MarkdownNotebook(path: file)
                try notebook.runAndStore(in: options.workingDirectory, tool: Notebook.tool, log: Notebook.log)
                print("\(file): \(notebook.cells.count) cells run, outputs written")
            }
        }
    }
}

struct CheckNotebook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Fail when a fresh run's outputs differ from the stored ones (cells marked `sh varies` are run but not compared).",
        discussion: """
        Not read-only: every cell, `sh varies` ones included, runs as a shell command with your \
        rights, in --directory, exactly as `lits notebook run` runs it; only the notebook file is \
        left unchanged. Check notebooks you did not write before running them.
        """)

    @OptionGroup var options: NotebookArguments

    func run() throws {
        try runReportingErrors {
            var stale = 0
            for file in options.files {
                let notebook = try MarkdownNotebook(path: file)
                for cell in try notebook.check(in: options.workingDirectory, tool: Notebook.tool, log: Notebook.log) {
                    printError("\(file):\(cell.line): stored output differs from a fresh run")
                    stale += 1
                }
            }
            if stale > 0 { throw ExitCode.failure }
            print("notebooks up to date")
        }
    }
}
