import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSAnalysis
import LiTSCore

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hand a dataset on to another tool: `lits export nnunet DATA --out nnUNet_raw/DatasetNNN_Name`.",
        subcommands: [ExportNNUNet.self])
}

struct ExportNNUNet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nnunet",
        abstract: "Write a dataset in nnU-Net v2's raw layout, ready for nnUNetv2_plan_and_preprocess.",
        discussion: """
        The cases (any layout LiTSKit reads) are written as OUT/imagesTr/{Name}_{id:03d}_0000.nii.gz \
        and OUT/labelsTr/{Name}_{id:03d}.nii.gz, cases without labels as OUT/imagesTs/..., with \
        OUT/dataset.json (channel 0 CT; labels background 0, liver 1, tumor 2; numTraining; \
        file_ending .nii.gz). {Name} comes from the folder name, which must be DatasetNNN_Name as \
        nnU-Net requires. A .nii.gz whose bytes can stay is hard-linked (copied on another file \
        system); a .nii is gzipped unchanged; a label map whose values are mapped to 0/1/2 is \
        written anew on its own grid. Every case is read and checked as every command reads it; \
        a case that fails stops the export and leaves none. --exclude leaves cases out by id; \
        --exclude-qa-errors runs `lits qa`'s checks and leaves out every case with an error. \
        OUT/litskit-export.json lists which case came from which file and how, and which were left \
        out and why. A rerun into the folder replaces the previous export as a whole.
        """)

    @Argument(help: "Dataset folder(s) or volume files.")
    var data: [String]

    @Option(name: .shortAndLong, help: "Output folder, named DatasetNNN_Name (created; must not be inside the input).")
    var out: String

    @Option(help: "Case ids to leave out, comma-separated (e.g. 3,17).")
    var exclude: String?

    @Flag(help: "Leave out cases with a QA error (as `lits qa` reports them).")
    var excludeQAErrors = false

    @OptionGroup var labels: LabelsArgument

    @Option(help: "Worker threads of the QA checks.")
    var threads = 2

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            var options = NNUNetExport.Options()
            options.exclude = (exclude ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            options.excludeQAErrors = excludeQAErrors
            options.threads = threads
            let record = try NNUNetExport.run(data, out: out, options: options)
            let training = record.cases.filter { $0.label != nil }.count
            print("exported \(record.cases.count) case(s) (\(training) with labels) into \(out)")
            for left in record.leftOut { print("left out case \(left.id): \(left.reason)") }
        }
    }
}
