import Foundation
import LiTSCore
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
    /// nothing to hold out: every case trains and validates (and the run says so).
    public static func seeded(ids: [String], seed: UInt64, fractions: (Double, Double) = (0.6, 0.2)) -> DataSplit {
        guard ids.count >= 3 else { return DataSplit(train: ids, validation: ids, test: []) }
        var rng = SeededGenerator(seed: seed)
        var shuffled = ids.sorted()
        shuffled.shuffle(using: &rng)
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

