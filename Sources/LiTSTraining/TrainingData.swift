import Foundation
import LiTSCore
import LiTSImaging
import LiTSNet

/// Train / validation / test case ids.
public struct DataSplit: Codable, Equatable, Sendable {
    public var train: [String]
    public var validation: [String]
    public var test: [String]

    public init(train: [String], validation: [String], test: [String]) {
        self.train = train
        self.validation = validation
        self.test = test
    }

    /// A seeded shuffle cut into fractions (default 60/20/20). With fewer than three cases there is
    /// nothing to hold out: every case trains and validates (and the run says so). With three or
    /// four there is no test set: one case validates, the others train (a test case of four would
    /// take a quarter of the data away without a word).
    public static func seeded(ids: [String], seed: UInt64, fractions: (Double, Double) = (0.6, 0.2)) -> DataSplit {
        guard ids.count >= 3 else { return DataSplit(train: ids, validation: ids, test: []) }
        var rng = SeededGenerator(seed: seed)
        var shuffled = ids.sorted()
        shuffled.shuffle(using: &rng)
        if ids.count < 5 {
            return DataSplit(train: Array(shuffled.dropLast()), validation: [shuffled.last!], test: [])
        }
        let nTrain = max(1, Int((Double(ids.count) * fractions.0).rounded()))
        let nVal = max(1, min(ids.count - nTrain, Int((Double(ids.count) * fractions.1).rounded())))
        return DataSplit(train: Array(shuffled[0..<nTrain]), validation: Array(shuffled[nTrain..<(nTrain + nVal)]),
                         test: Array(shuffled[(nTrain + nVal)...]))
    }

    public var isHeldOut: Bool { Set(train).isDisjoint(with: validation) }

    /// A split file `{"train": [...], "validation": [...], "test": [...]}` (`lits train --split`).
    public static func read(_ path: String) throws -> DataSplit {
        guard let data = FileManager.default.contents(atPath: path) else { throw LiTSError(.notFound, path: path, "no such split file") }
        return try JSONFile.decode(DataSplit.self, from: data, path: path)
    }
}


extension PreprocessedFolder {
    /// Allowed slack around [0, 1] for float rounding in the min-max normalisation.
    static let normalisedTolerance: Float = 1e-4

    /// Refuses arrays that `lits preprocess` cannot have written (edited or hand-made): labels
    /// other than 0, 1, 2, and CT values outside the min-max normalised [0, 1]. The one line
    /// names the file, the value and the voxel (i, j, k; the array index is [k, j, i]).
    public func requireTrainingRanges(_ arrays: PreprocessedArrays) throws {
        guard let e = entry(arrays.id) else { return }
        let shape = arrays.image.grid.shape
        func voxel(_ v: Int) -> String { "(\(v % shape[0]), \(v / shape[0] % shape[1]), \(v / (shape[0] * shape[1])))" }
        let range = -PreprocessedFolder.normalisedTolerance...(1 + PreprocessedFolder.normalisedTolerance)
        if let v = arrays.image.voxels.firstIndex(where: { !range.contains($0) }) {
            throw LiTSError(.invalidValues, path: "\(path)/\(e.volumeFile)",
                            "value \(arrays.image.voxels[v]) at voxel \(voxel(v)) is outside [0, 1], the range `lits preprocess` normalises CT to; the array was edited or not written by it")
        }
        if let labels = arrays.labels, let maskFile = e.maskFile, let v = labels.voxels.firstIndex(where: { $0 > 2 }) {
            throw LiTSError(.invalidValues, path: "\(path)/\(maskFile)",
                            "label \(labels.voxels[v]) at voxel \(voxel(v)) is not 0, 1 or 2 (background, liver, tumour)")
        }
    }
}
