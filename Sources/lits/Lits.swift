import ArgumentParser
import Foundation
import LiTSCluster
import LiTSCore

@main
struct Lits: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lits",
        abstract: "LiTSKit: explore, preprocess and segment abdominal CT with liver and tumor labels.",
        discussion: """
        Datasets are folders in LiTS layout (volume-N.nii[.gz] + segmentation-N.nii[.gz], nested \
        folders allowed; the test batch's test-volume-N.nii are cases N without labels) or MSD Task03 layout (imagesTr/liver_N.nii.gz + labelsTr/liver_N.nii.gz). \
        Labels: 0 background, 1 liver, 2 tumor. Volumes are reoriented to RAS+ on load, so k runs \
        inferior to superior.
        """,
        version: LiTSKitVersion.current,
        subcommands: [Info.self, Preprocess.self, Eda.self, QA.self, Preview.self, Enhance.self, Train.self, Predict.self, Evaluate.self, Export.self, Notebook.self, ImportMRC.self, ImportDICOM.self, Bench.self]
    )

    /// ArgumentParser's own entry point, after two process-wide settings: volume-sized buffers
    /// freed by one case are reused by the next (see `VolumeMemory`), and signals clean up.
    static func main() {
        VolumeMemory.keepFreedBuffers()
        // Ctrl-C, SIGTERM or SIGHUP remove unfinished files and exit 128 + signal (`lits train`
        // takes the signals over to stop after a batch).
        TempFiles.inProgress.removeOnSignals()
        RepeatedOptions.check(Array(CommandLine.arguments.dropFirst()))
        do {
            var command = try parseAsRoot()
            // Documentation checks (DocCommandLineTests) parse a command line without running it.
            if ProcessInfo.processInfo.environment["LITSKIT_PARSE_ONLY"] == "1" { return }
            try command.run()
        } catch {
            // A run that failed before writing any output leaves no folder it created.
            OutputFolder.removeUnusedFoldersCreated()
            if let line = ArgumentProblems.explain(message(for: error)) {
                printError(line)
                Foundation.exit(64)   // ArgumentParser's exit status for a usage error
            }
            exit(withError: error)
        }
    }
}

/// Runs a command body: a `LiTSError` becomes one line on stderr and exit code 1.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as LiTSError {
        printError(error.description)
        throw ExitCode.failure
    }
}

/// The same for a command whose ranks call MPI together: an error on one rank (the others would
/// wait for it forever) ends every rank of the job.
func runReportingErrors(cluster: Cluster, _ body: () throws -> Void) throws {
    do {
        try runReportingErrors(body)
    } catch let exit as ExitCode where cluster.size > 1 && !StopRequest.isSignalExit(exit.rawValue) {
        cluster.abort(code: exit.rawValue)
    }
}

/// Prints every failed case and, if any failed, exits non-zero after the others finished.
func reportFailures(_ failures: [(Case, String)], total: Int) throws {
    guard !failures.isEmpty else { return }
    for (_, message) in failures { printError(message) }
    printError("\(failures.count) of \(total) cases failed: \(failures.map { $0.0.id }.joined(separator: ", "))")
    throw ExitCode.failure
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("lits: error: \(message)\n".utf8))
}

func printWarning(_ message: String) {
    FileHandle.standardError.write(Data("lits: warning: \(message)\n".utf8))
}
