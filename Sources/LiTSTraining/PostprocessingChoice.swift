import Foundation
import LiTSCore

/// The four ways `lits predict` can post-process (`--largest-liver`, `--lesions-in-liver`), as
/// the out-of-fold predictions are kept: `validation/` without either, and one folder each.
public enum PostprocessingVariant: String, CaseIterable, Codable, Sendable {
    case none, largestLiver = "largest-liver", lesionsInLiver = "lesions-in-liver", both

    public init(largestLiver: Bool, lesionsInLiver: Bool) {
        switch (largestLiver, lesionsInLiver) {
        case (false, false): self = .none
        case (true, false): self = .largestLiver
        case (false, true): self = .lesionsInLiver
        case (true, true): self = .both
        }
    }

    public var largestLiver: Bool { self == .largestLiver || self == .both }
    public var lesionsInLiver: Bool { self == .lesionsInLiver || self == .both }

    /// The fold folder's subfolder of its out-of-fold predictions.
    public var folder: String { self == .none ? "validation" : "validation-\(rawValue)" }
}

/// `RUN/postprocessing.json`: the post-processing nnU-Net's rule chose on the out-of-fold
/// predictions. `lits predict --run RUN` reads `largestLiver` and `lesionsInLiver`.
public struct PostprocessingChoice: Codable, Equatable, Sendable {
    public static let fileName = "postprocessing.json"
    public static let rule = "nnU-Net's: each step is kept only where it raises the mean Dice over the out-of-fold cases of the class it affects: first the largest liver component (liver Dice), then, on top of that choice, dropping lesions outside the liver (lesion Dice); a tie keeps the step off. A case with neither truth nor prediction of the class counts as Dice 1 here, so a step that removes every false positive of a lesion-free case is credited (nnU-Net leaves such cases out)"

    public var largestLiver: Bool
    public var lesionsInLiver: Bool
    /// Mean liver Dice over the cases (1 where truth and prediction are both empty), without and
    /// with the largest component.
    public var meanLiverDiceWithoutLargestLiver: Double?
    public var meanLiverDiceWithLargestLiver: Double?
    /// Mean lesion Dice (on top of the liver choice), without and with dropping lesions outside the liver.
    public var meanLesionDiceWithoutLesionsInLiver: Double?
    public var meanLesionDiceWithLesionsInLiver: Double?
    /// The out-of-fold cases the means are over.
    public var cases: Int
    public var ruleText = PostprocessingChoice.rule

    enum CodingKeys: String, CodingKey {
        case largestLiver, lesionsInLiver, meanLiverDiceWithoutLargestLiver, meanLiverDiceWithLargestLiver
        case meanLesionDiceWithoutLesionsInLiver, meanLesionDiceWithLesionsInLiver, cases, ruleText = "rule"
    }

    public var variant: PostprocessingVariant { PostprocessingVariant(largestLiver: largestLiver, lesionsInLiver: lesionsInLiver) }

    /// One case's liver and lesion Dice under each variant (NaN: both masks empty, undefined).
    public typealias CaseDice = [PostprocessingVariant: (liver: Double, lesion: Double)]

    /// Liver (label >= 1) and lesion (label 2) Dice of each variant's labels against `truth`
    /// (all on one grid).
    public static func dice(truth: LabelMap, predictions: [PostprocessingVariant: LabelMap]) -> CaseDice {
        var out: CaseDice = [:]
        for (variant, p) in predictions {
            precondition(p.count == truth.count, "prediction and truth grids differ")
            let liver = Dice.coefficient(count: truth.count, predicted: { p.voxels[$0] >= 1 }, truth: { truth.voxels[$0] >= 1 })
            let lesion = Dice.coefficient(count: truth.count, predicted: { p.voxels[$0] == 2 }, truth: { truth.voxels[$0] == 2 })
            out[variant] = (liver, lesion)
        }
        return out
    }

    /// nnU-Net's rule over the cases' Dice (each case must have all four variants).
    public static func choose(_ cases: [CaseDice]) -> PostprocessingChoice {
        func mean(_ variant: PostprocessingVariant, _ value: ((liver: Double, lesion: Double)) -> Double) -> Double? {
            let values = cases.compactMap { $0[variant].map(value) }.map { $0.isNaN ? 1 : $0 }
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        func raises(_ with: Double?, over without: Double?) -> Bool {
            guard let with, let without else { return false }
            return with > without
        }
        let liverWithout = mean(.none, \.liver), liverWith = mean(.largestLiver, \.liver)
        let largest = raises(liverWith, over: liverWithout)
        let base: PostprocessingVariant = largest ? .largestLiver : .none, withLesions: PostprocessingVariant = largest ? .both : .lesionsInLiver
        let lesionWithout = mean(base, \.lesion), lesionWith = mean(withLesions, \.lesion)
        return PostprocessingChoice(largestLiver: largest, lesionsInLiver: raises(lesionWith, over: lesionWithout),
                                    meanLiverDiceWithoutLargestLiver: liverWithout, meanLiverDiceWithLargestLiver: liverWith,
                                    meanLesionDiceWithoutLesionsInLiver: lesionWithout, meanLesionDiceWithLesionsInLiver: lesionWith,
                                    cases: cases.count)
    }

    /// "largest liver component: applied (mean liver Dice 0.812 -> 0.843); lesions only inside
    /// the liver: not applied (mean lesion Dice 0.310 -> 0.305)".
    public var summary: String {
        func f(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "n/a" }
        return "largest liver component: \(largestLiver ? "applied" : "not applied") (mean liver Dice \(f(meanLiverDiceWithoutLargestLiver)) without, \(f(meanLiverDiceWithLargestLiver)) with); "
            + "lesions only inside the liver: \(lesionsInLiver ? "applied" : "not applied") (mean lesion Dice \(f(meanLesionDiceWithoutLesionsInLiver)) without, \(f(meanLesionDiceWithLesionsInLiver)) with)"
    }
}
