import ArgumentParser
import CProcess
import Foundation
import LiTSCluster
import LiTSCommandLine
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
        // Line by line into a file: a Slurm or nohup log shows each epoch's and case's line when
        // it happens, not when the run ends.
        litskit_line_buffer_stdout_into_files()
        VolumeMemory.keepFreedBuffers()
        // Ctrl-C, SIGTERM or SIGHUP remove unfinished files and exit 128 + signal (`lits train`
        // takes the signals over to stop after a batch).
        TempFiles.inProgress.removeOnSignals()
        RepeatedOptions.check(Array(CommandLine.arguments.dropFirst())) { Lits._dumpHelp() }
        do {
            var command = try parseAsRoot()
            // Documentation checks (DocCommandLineTests) parse a command line without running it.
            if ProcessInfo.processInfo.environment["LITSKIT_PARSE_ONLY"] == "1" { return }
            try command.run()
        } catch {
            // A run that failed before writing any output leaves no folder it created.
            OutputFolder.removeUnusedFoldersCreated()
            // A value refused by its type: ArgumentParser's message, with what is wrong with it.
            if let line = ArgumentProblems.explain(message(for: error)) {
                let usage = fullMessage(for: error).split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
                FileHandle.standardError.write(Data(((["Error: \(line)"] + usage).joined(separator: "\n") + "\n").utf8))
                Foundation.exit(64)   // ArgumentParser's exit status for a usage error
            }
            exit(withError: error)
        }
    }
}
