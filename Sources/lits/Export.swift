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
        discussion: CommandHelp.exportNNUNet)

    @OptionGroup var args: ExportNNUNetArguments

    func run() throws {
        try runReportingErrors {
            var options = NNUNetExport.Options()
            options.exclude = (args.exclude ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            options.excludeQAErrors = args.excludeQAErrors
            options.threads = args.threads
            let record = try NNUNetExport.run(args.data, out: args.out, options: options)
            let training = record.cases.filter { $0.label != nil }.count
            print("exported \(record.cases.count) case(s) (\(training) with labels) into \(args.out)")
            for left in record.leftOut { print("left out case \(left.id): \(left.reason)") }
        }
    }
}
