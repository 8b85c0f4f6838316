import ArgumentParser
import LiTSCommandLine
import Foundation
import LiTSAnalysis
import LiTSCore
import LiTSImaging
import LiTSRender

struct Preview: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Preview windows and contrast enhancement (per-slice and per-volume equalization, CLAHE) on slices.",
        discussion: """
        Writes DIR/montage-WINDOW.png (one row per method, one column per slice), full-resolution \
        single slices in DIR/slices/, DIR/data/metrics.csv (liver-tumor contrast and slice-to-slice \
        consistency per method, for cases with labels), a gnuplot chart and DIR/index.md.
        Methods: window, slice, volume, volume-body, clahe. Window presets: liver (-100,400), \
        abdomen (-160,240), soft-tissue (-125,225), bone (300,1500), or L,H.
        """)

    @Argument(help: "A volume file, or a dataset folder (with --case when it holds several cases).")
    var path: String

    @Option(name: .shortAndLong, help: "Output folder (created; must not be inside the input).")
    var out: String

    @Option(name: .customLong("case"), help: "Case id inside a dataset folder.")
    var caseID: String?

    @Option(help: "Axial slices: auto (evenly over the liver plus the most tumor) or canonical k indices, e.g. 40,52,60.")
    var slices = SliceSelection(argument: "auto")!

    @Option(help: "Slices for --slices auto, spread over the liver.")
    var autoSlices = 5

    @Option(name: .customLong("window"), parsing: .unconditionalSingleValue, help: "Window preset or L,H (L < H, each within +-100000); repeat for several (default: liver).")
    var windows: [WindowArgument] = []

    @Option(name: .customLong("method"), help: "Method to show; repeat for several (default: all five).")
    var methods: [EnhancementMethod] = []

    @OptionGroup var labels: LabelsArgument

    @OptionGroup var enhancement: EnhancementArguments

    @Flag(inversion: .prefixedNo, help: "Draw liver and tumor contours.")
    var contours = true

    @Option(help: figuresHelp)
    var figures = FigureFormat.png

    func validate() throws {
        guard autoSlices >= 1 else { throw ValidationError("--auto-slices must be at least 1") }
    }

    func run() throws {
        try runReportingErrors {
            let c = try Dataset.selectCase(path, id: caseID)
            try OutputFolder.prepare(out, inputs: [path], command: "lits preview")
            var options = PreviewOptions()
            if !windows.isEmpty { options.windows = windows.map { ($0.name, $0.window) } }
            if !methods.isEmpty { options.methods = methods }
            options.slices = slices.indices
            options.autoSliceCount = autoSlices
            options.enhancement = enhancement.options
            options.contours = contours
            let loaded = try CaseLoader.load(c)
            let result = try PreviewAnalysis.compute(loaded, options: options)
            try PreviewReport.write(result, options: options, to: out, figures: figures)
            for (window, rows) in result.metrics.sorted(by: { $0.key < $1.key }) {
                for m in rows {
                    print("\(window) \(m.method): contrast \(m.liverTumorContrast.map { String(format: "%.3f", $0) } ?? "-"), slice-to-slice std \(m.sliceConsistency.map { String(format: "%.4f", $0) } ?? "-")")
                }
            }
            print("preview: \(out)/index.md")
        }
    }
}
