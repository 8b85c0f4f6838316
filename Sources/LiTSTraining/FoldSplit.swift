import Foundation
import LiTSCore

/// One fold of a cross-validation, in nnU-Net's `splits_final.json` format: the cases it trains
/// on and the cases it validates (and predicts out of fold) on.
public struct FoldSplit: Codable, Equatable, Sendable {
    public var train: [String]
    public var val: [String]

    public init(train: [String], val: [String]) {
        self.train = train
        self.val = val
    }

    /// The fold as a run's split: its validation cases validate, none is held out for test.
    public var dataSplit: DataSplit { DataSplit(train: train, validation: val, test: []) }
}

/// nnU-Net's folds: `generate_crossval_split`, i.e. scikit-learn's `KFold(n_splits: K,
/// shuffle: true, random_state: 12345)` over the case ids sorted as numpy sorts strings (by
/// code point). The permuted order is cut into K runs, the first `n % K` one case longer; fold k
/// validates on the cases of run k and trains on every other case (both lists in sorted order,
/// as scikit-learn returns them through boolean masks).
public enum FoldSplits {
    /// nnU-Net's seed for its folds.
    public static let nnunetSeed: UInt32 = 12345

    /// Code-point order, numpy's `np.sort` of strings.
    public static func sortedIDs(_ ids: [String]) -> [String] {
        ids.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
    }

    /// The K folds of `ids` (2 <= K <= ids.count).
    public static func kFold(ids: [String], folds k: Int, seed: UInt32 = nnunetSeed) -> [FoldSplit] {
        precondition(k >= 2 && k <= ids.count, "K-fold needs 2 <= K <= cases")
        let sorted = sortedIDs(ids)
        var order = Array(sorted.indices)
        var rng = MersenneTwister(seed: seed)
        rng.shuffle(&order)
        var folds: [FoldSplit] = []
        var start = 0
        for fold in 0..<k {
            let size = sorted.count / k + (fold < sorted.count % k ? 1 : 0)
            let held = Set(order[start..<(start + size)])
            folds.append(FoldSplit(train: sorted.indices.filter { !held.contains($0) }.map { sorted[$0] },
                                   val: sorted.indices.filter { held.contains($0) }.map { sorted[$0] }))
            start += size
        }
        return folds
    }

    /// An nnU-Net `splits_final.json` (a list of {"train": [...], "val": [...]}).
    public static func read(_ path: String) throws -> [FoldSplit] {
        guard let data = FileManager.default.contents(atPath: path) else { throw LiTSError(.notFound, path: path, "no such splits file") }
        return try JSONFile.decode([FoldSplit].self, from: data, path: path)
    }

    /// Writes `folds` in `splits_final.json`'s format (atomically).
    public static func write(_ folds: [FoldSplit], to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(folds), to: path)
    }

    /// Why `folds` (read from `path`) cannot be a cross-validation of the cases `known`: fewer
    /// than two folds, an empty side, a case it names that the data lacks, a case that trains
    /// and validates in one fold, or a case validated by two folds (it would be predicted out of
    /// fold twice). nil when it can.
    public static func problem(_ folds: [FoldSplit], known: Set<String>) -> String? {
        guard folds.count >= 2 else { return "lists \(folds.count) fold\(folds.count == 1 ? "" : "s"); a cross-validation needs at least 2" }
        var validatedBy: [String: Int] = [:]
        for (k, fold) in folds.enumerated() {
            if fold.train.isEmpty || fold.val.isEmpty { return "fold \(k) has no \(fold.train.isEmpty ? "training" : "validation") cases" }
            if let unknown = (fold.train + fold.val).first(where: { !known.contains($0) }) {
                return "fold \(k) names case \(unknown), which the data does not hold"
            }
            if let both = fold.val.first(where: Set(fold.train).contains) { return "fold \(k) both trains and validates on case \(both)" }
            for id in fold.val {
                if let other = validatedBy.updateValue(k, forKey: id) {
                    if other == k { return "fold \(k) lists validation case \(id) twice" }
                    return "case \(id) is validated by fold \(other) and fold \(k); each case must be out of fold once"
                }
            }
        }
        return nil
    }
}
