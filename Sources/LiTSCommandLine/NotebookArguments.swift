import ArgumentParser
import Foundation

/// The options of `lits notebook run` and `lits notebook check`.
public struct NotebookArguments: ParsableArguments {
    public init() {}

    @Argument(help: "Markdown notebooks.")
    public var files: [String]

    @Option(help: "Folder the cells run in (default: the current folder).")
    public var directory: String?

    public var workingDirectory: String { directory ?? FileManager.default.currentDirectoryPath }
}
