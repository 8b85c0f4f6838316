import ArgumentParser
import Foundation
import LiTSAnalysis
import LiTSCore
import LiTSEvaluation
import LiTSImaging
import LiTSInference
import LiTSNet
import LiTSTraining

// Typed command-line values: each parses (and rejects, saying why) its own text, so commands
// receive checked values and `validate()` is left for rules across options.

/// Why a typed value was refused. `init?(argument:)` can only say no, so it records the reason
/// here, and `lits` reports `--window 400,-100: low must be below high` (exit 64) instead of
/// ArgumentParser's bare "The value '400,-100' is invalid".
public final class ArgumentProblems: @unchecked Sendable {
    private static let shared = ArgumentProblems()
    private let lock = NSLock()
    private var reasons: [String: String] = [:]

    public static func refuse(_ argument: String, _ reason: String) {
        shared.lock.lock()
        shared.reasons[argument] = reason
        shared.lock.unlock()
    }

    /// "OPTION VALUE: REASON" for ArgumentParser's message about a value that gave its reason.
    public static func explain(_ message: String) -> String? {
        guard let start = message.range(of: "The value '"),
              let end = message.range(of: "' is invalid for '", range: start.upperBound..<message.endIndex) else { return nil }
        let value = String(message[start.upperBound..<end.lowerBound])
        let option = message[end.upperBound...].prefix { $0 != " " && $0 != "'" }
        shared.lock.lock()
        defer { shared.lock.unlock() }
        return shared.reasons[value].map { "\(option) \(value): \($0)" }
    }
}

/// A HU window: a preset name (liver, abdomen, soft-tissue, bone) or "L,H" with L < H, both
/// within +-`limit` HU.
public struct WindowArgument: ExpressibleByArgument, Sendable {
    /// Far past any CT value (int16 files hold -32768...32767); bounds keep the width finite and
    /// the bounds printable as whole HU (Int() of 1e30 traps).
    public static let limit: Float = 100_000

    /// What the user wrote.
    public let text: String
    /// The preset's name, or "L_H" (for file names).
    public let name: String
    public let window: HUWindow

    public init?(argument: String) {
        if let preset = HUWindow.presets.first(where: { $0.name == argument }) {
            (text, name, window) = (argument, preset.name, preset.window)
            return
        }
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
            .map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo.isFinite, hi.isFinite else {
            let presets = HUWindow.presets.map(\.name).joined(separator: ", ")
            ArgumentProblems.refuse(argument, "expected a preset (\(presets)) or two numbers L,H in HU")
            return nil
        }
        guard abs(lo) <= WindowArgument.limit, abs(hi) <= WindowArgument.limit else {
            ArgumentProblems.refuse(argument, "each bound must be within +-\(Int(WindowArgument.limit)) HU")
            return nil
        }
        guard lo < hi else { ArgumentProblems.refuse(argument, "low must be below high"); return nil }
        (text, name, window) = (argument, "\(Int(lo))_\(Int(hi))", HUWindow(low: lo, high: hi))
    }

    public var defaultValueDescription: String { text }
}

/// Positive integers separated by `separator`, with a fixed or minimum count.
public struct PositiveInts: Sendable {
    public static func parse(_ text: String, separator: Character) -> [Int]? {
        let parts = text.lowercased().split(separator: separator, omittingEmptySubsequences: false)
        let values = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 > 0 }) else { return nil }
        return values
    }
}

/// A patch "W,H,D" (the baseline's 168,168,16).
extension PatchSize: ExpressibleByArgument {
    public init?(argument: String) {
        guard let v = PositiveInts.parse(argument, separator: ","), v.count == 3 else {
            ArgumentProblems.refuse(argument, "expected W,H,D: three positive integers (width, height, slices), e.g. 168,168,16")
            return nil
        }
        self.init(d: v[2], h: v[1], w: v[0])
    }

    public var defaultValueDescription: String { "\(w),\(h),\(d)" }
}

/// An in-plane size "N" or "NXxNY".
public struct InPlaneSize: ExpressibleByArgument, Sendable {
    public let nx: Int, ny: Int

    public init?(argument: String) {
        guard let v = PositiveInts.parse(argument, separator: "x"), v.count <= 2 else {
            ArgumentProblems.refuse(argument, "expected N or NXxNY (W x H): positive integers, e.g. 168 or 192x160")
            return nil
        }
        (nx, ny) = (v[0], v.count == 2 ? v[1] : v[0])
    }

    public var values: [Int] { [nx, ny] }
    public var defaultValueDescription: String { nx == ny ? "\(nx)" : "\(nx)x\(ny)" }
}

/// A voxel spacing in mm: "S" (isotropic) or "X,Y,Z".
public struct SpacingArgument: ExpressibleByArgument, Sendable {
    public let values: [Double]

    public init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
            .map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 1 || parts.count == 3, parts.allSatisfy({ $0 != nil && $0! > 0 && $0!.isFinite }) else {
            ArgumentProblems.refuse(argument, "expected S or X,Y,Z in mm, each a positive number")
            return nil
        }
        values = parts.count == 1 ? [parts[0]!, parts[0]!, parts[0]!] : parts.map { $0! }
    }
}

/// Filters per U-Net level, "16,32,64,128" (at least two levels).
public struct FilterList: ExpressibleByArgument, Sendable {
    public let values: [Int]

    public init?(argument: String) {
        guard let v = PositiveInts.parse(argument, separator: ","), v.count >= 2 else {
            ArgumentProblems.refuse(argument, "expected two or more positive integers, one per U-Net level, e.g. 16,32,64,128")
            return nil
        }
        values = v
    }

    public var defaultValueDescription: String { values.map(String.init).joined(separator: ",") }
}

/// A CLAHE kernel "R" or "RxC" in pixels.
public struct KernelSize: ExpressibleByArgument, Sendable {
    public let values: [Int]

    public init?(argument: String) {
        guard let v = PositiveInts.parse(argument, separator: "x"), v.count <= 2 else {
            ArgumentProblems.refuse(argument, "expected R or RxC in pixels: positive integers")
            return nil
        }
        values = v.count == 1 ? [v[0], v[0]] : v
    }
}

/// Interpolation of the CT (labels are always nearest neighbour).
public enum CTInterpolation: String, CaseIterable, ExpressibleByArgument, Sendable {
    case linear, cubic
    public var interpolation: Interpolation { self == .linear ? .linear : .cubic }
}

/// Axial slices: "auto" or canonical k indices "40,52,60".
public struct SliceSelection: ExpressibleByArgument, Sendable {
    /// Nil: automatic (evenly over the liver plus the most tumor).
    public let indices: [Int]?

    public init?(argument: String) {
        if argument == "auto" { indices = nil; return }
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 >= 0 }) else {
            ArgumentProblems.refuse(argument, "expected auto or slice indices k (from 0), e.g. 40,52,60")
            return nil
        }
        indices = values
    }

    public var defaultValueDescription: String { indices.map { $0.map(String.init).joined(separator: ",") } ?? "auto" }
}

/// Contrast enhancement before preprocessing, or none.
public enum EqualizeChoice: String, CaseIterable, ExpressibleByArgument, Sendable {
    case none, slice, volume, volumeBody = "volume-body", clahe
    public var method: EnhancementMethod? { self == .none ? nil : EnhancementMethod(rawValue: rawValue) }
}

/// How training patches are placed.
public enum SamplingChoice: String, CaseIterable, ExpressibleByArgument, Sendable {
    case uniform, liverBiased = "liver-biased", regionBalanced = "region-balanced"

    public func mode(pLiver: Double, pLesion: Double) -> SamplingMode {
        switch self {
        case .uniform: return .uniform
        case .liverBiased: return .liverBiased(pLiver: pLiver, pLesion: pLesion)
        case .regionBalanced: return .regionBalanced(pLiver: pLiver, pLesion: pLesion)
        }
    }
}

/// Augmentation of training patches: none (the patches as cut) or nnU-Net's default transforms.
public enum AugmentPreset: String, CaseIterable, ExpressibleByArgument, Sendable {
    case none, `default`

    public func options(patch: PatchSize) -> AugmentationOptions {
        self == .none ? .off(patch: patch) : .nnUNetDefault(patch: patch)
    }
}

/// One transform's setting "NAME=P" or "NAME=P:LO,HI" (probability, and the range its strength is
/// drawn from), over the --augment preset.
public struct AugmentSetting: ExpressibleByArgument, Sendable {
    public let name: AugmentationOptions.Name
    public let probability: Double
    public let range: AugmentationOptions.Range?

    public init?(argument: String) {
        let parts = argument.split(separator: "=", omittingEmptySubsequences: false)
        guard parts.count == 2, let name = AugmentationOptions.Name(rawValue: String(parts[0])) else {
            let names = AugmentationOptions.Name.allCases.map(\.rawValue).joined(separator: ", ")
            ArgumentProblems.refuse(argument, "expected NAME=P or NAME=P:LO,HI with NAME one of \(names)")
            return nil
        }
        let value = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(value.count), let p = Double(value[0]), (0...1).contains(p) else {
            ArgumentProblems.refuse(argument, "the probability P must be a number from 0 to 1")
            return nil
        }
        var range: AugmentationOptions.Range? = nil
        if value.count == 2 {
            let bounds = value[1].split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
            guard name != .mirror else { ArgumentProblems.refuse(argument, "mirror takes a probability only, no range"); return nil }
            guard bounds.count == 2, let lo = bounds[0], let hi = bounds[1], lo.isFinite, hi.isFinite, lo <= hi else {
                ArgumentProblems.refuse(argument, "the range must be LO,HI with LO at most HI")
                return nil
            }
            range = AugmentationOptions.Range(lo, hi)
        }
        (self.name, probability, self.range) = (name, p, range)
    }

    public func apply(to options: inout AugmentationOptions) {
        options[name].probability = probability
        if let range { options[name].range = range }
    }
}

extension EnhancementMethod: ExpressibleByArgument {}
extension Normalization: ExpressibleByArgument {}
extension EvaluationProtocol: ExpressibleByArgument {}
extension MissingPolicy: ExpressibleByArgument {}

/// Normalized surface Dice tolerances in mm: "T" for liver and lesion, or "LIVER,LESION".
public struct NSDTolerances: ExpressibleByArgument, Sendable {
    public let text: String
    public let liver: Double, lesion: Double

    public init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0 != nil && $0!.isFinite && $0! >= 0 }) else {
            ArgumentProblems.refuse(argument, "expected T or LIVER,LESION in mm, each a number at least 0")
            return nil
        }
        (text, liver, lesion) = (argument, parts[0]!, parts.last!!)
    }

    public var defaultValueDescription: String { text }
}
extension Blending: ExpressibleByArgument {}
extension CheckpointChoice: ExpressibleByArgument {}
extension CascadeStage: ExpressibleByArgument {}
extension LossFunction: ExpressibleByArgument {}
extension LRSchedule: ExpressibleByArgument {}
extension MRC.AxisOrder: ExpressibleByArgument {}

extension Connectivity: ExpressibleByArgument {
    public init?(argument: String) {
        guard let n = Int(argument) else { return nil }
        self.init(rawValue: n)
    }

    public var defaultValueDescription: String { String(rawValue) }
    public static var allValueStrings: [String] { allCases.map { String($0.rawValue) } }
}

/// The preprocessing options `lits preprocess` and `lits train` on raw data share: a fixed
/// in-plane size and slice spacing (the baseline, the default), or a target spacing on every axis.
public struct PreprocessingArguments: ParsableArguments {
    public init() {}

    @Option(parsing: .unconditional, help: "HU window L,H to clip to before normalising (L < H, each within +-100000).")
    public var window = WindowArgument(argument: "-100,400")!

    /// The largest in-plane side: past a full-resolution CT slice (512), with room to upsample.
    public static let maxSide = 4096

    @Option(help: "In-plane size after resampling, NX or NXxNY, at most \(PreprocessingArguments.maxSide) (default 168; not with --spacing).")
    public var size: InPlaneSize?

    @Option(help: "Slice spacing in mm after resampling (default 2; not with --spacing).")
    public var sliceSpacing: Double?

    @Option(help: ArgumentHelp("Resample every axis to this spacing in mm, S or X,Y,Z (nnU-Net's way; labels nearest neighbour), instead of --size and --slice-spacing.",
                               valueName: "mm"))
    public var spacing: SpacingArgument?

    @Flag(inversion: .prefixedNo, help: "Crop each case to the bounding box of its body (HU > -500, largest component) before resampling, as nnU-Net crops to non-zero; predictions are mapped back, background outside the box (default: off).")
    public var cropBody: Bool?

    public func validate() throws {
        if let size, size.values.contains(where: { $0 > PreprocessingArguments.maxSide }) {
            throw ValidationError("--size must be at most \(PreprocessingArguments.maxSide) per side")
        }
        if let sliceSpacing { guard sliceSpacing > 0, sliceSpacing.isFinite else { throw ValidationError("--slice-spacing must be positive") } }
        if spacing != nil, size != nil || sliceSpacing != nil {
            throw ValidationError("--spacing sets the spacing of every axis: give it without --size and --slice-spacing")
        }
    }

    public var options: PreprocessOptions {
        var o = PreprocessOptions()
        o.window = window.window
        if let size { o.inPlaneSize = size.values }
        if let sliceSpacing { o.sliceSpacing = sliceSpacing }
        o.targetSpacing = spacing?.values
        o.cropToBody = cropBody
        return o
    }
}

extension MRCImport.Orientation: ExpressibleByArgument {}

/// `--shard i/n` (1-based), or `none` for the whole dataset inside a job array.
extension ShardChoice: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

extension ConvolutionPrecision: ExpressibleByArgument {
    /// Throws where this CPU cannot multiply in this precision (fp32 runs everywhere).
    public func checkSupported() throws {
        guard self != .fp32, !KernelConvolution.isSupported(self) else { return }
        let needs = self == .bf16 ? "AVX-512 and AVX512_BF16 (vdpbf16ps)" : "AVX512_VNNI or AVX-VNNI (vpdpbusd)"
        throw LiTSError(.unsupported, path: nil, "--precision \(rawValue) needs a CPU with \(needs); this one lacks them: use --precision fp32")
    }
}
extension TestTimeAugmentation: ExpressibleByArgument {}

/// `--labels liver=5,tumor=6`: how the dataset's label values map to 0/1/2, overriding its own
/// description (`dataset.json`). Set for the whole run when the arguments are validated, before
/// any case is read (`CommandLineLabels`).
public struct LabelsArgument: ParsableArguments {
    public init() {}

    @Option(name: .customLong("labels"), help: ArgumentHelp(
        "Label values as CLASS=VALUE[+VALUE],... with CLASS liver, tumor or background (background=rest: every other value), e.g. liver=5,background=rest for a TotalSegmentator multilabel map. Default: the dataset's dataset.json labels, else 0/1/2. A value with no mapping is refused.",
        valueName: "mapping"))
    public var text: String?

    public func validate() throws {
        CommandLineLabels.truth = try text.map(LabelsArgument.parse)
    }

    public static func parse(_ text: String) throws -> LabelMapping {
        do { return try LabelMapping(parsing: text) } catch let e as LiTSError { throw ValidationError(e.reason) }
    }
}

/// `evaluate`'s `--truth-labels` and `--pred-labels`: the ground truth's and the predictions'
/// label mappings (as `--labels`).
public struct EvaluationLabelsArgument: ParsableArguments {
    public init() {}

    @Option(name: .customLong("truth-labels"), help: ArgumentHelp("The ground truth's label values as --labels takes them (default: its dataset.json labels, else 0/1/2).", valueName: "mapping"))
    public var truth: String?

    @Option(name: .customLong("pred-labels"), help: ArgumentHelp("The predictions' label values as --labels takes them (default 0/1/2), e.g. liver=5,background=rest for TotalSegmentator output.", valueName: "mapping"))
    public var predictions: String?

    public func validate() throws {
        CommandLineLabels.truth = try truth.map(LabelsArgument.parse)
        CommandLineLabels.predictions = try predictions.map(LabelsArgument.parse)
    }
}
