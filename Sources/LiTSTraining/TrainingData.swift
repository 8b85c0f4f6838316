import Foundation
import LiTSCore
import LiTSImaging
import LiTSNet

/// One preprocessed case in memory: normalised CT and labels on the preprocessed (canonical) grid.
public struct TrainingCase: Sendable {
    public var id: String
    public var image: Volume<Float>
    public var labels: LabelMap?
}

/// A `lits preprocess` folder: its manifest and lazy access to the arrays.
public struct PreprocessedDataset: Sendable {
    public let folder: String
    public let manifest: PreprocessManifest

    public init(folder: String) throws {
        let path = "\(folder)/\(PreprocessManifest.fileName)"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LiTSError(.notFound, path: path, "no manifest.json: not a `lits preprocess` folder")
        }
        do {
            manifest = try JSONDecoder().decode(PreprocessManifest.self, from: data)
        } catch {
            throw LiTSError(.corrupt, path: path, "not a LiTSKit preprocessing manifest (\(error.localizedDescription))")
        }
        guard !manifest.cases.isEmpty else { throw LiTSError(.noCases, path: path, "the manifest lists no cases") }
        self.folder = folder
    }

    public var ids: [String] { manifest.cases.map(\.id) }

    public func entry(_ id: String) -> PreprocessedCase? { manifest.cases.first { $0.id == id } }

    /// Reads a case's arrays (C order (nz, ny, nx) = NIfTI order on the preprocessed grid).
    public func load(_ id: String) throws -> TrainingCase {
        guard let e = entry(id) else { throw LiTSError(.notFound, path: folder, "no case \(id) in the manifest") }
        let grid = Grid(shape: e.shape, spacing: e.spacing, affine: Affine(rows: e.affine))
        let vol = try NPY.read(path: "\(folder)/\(e.volumeFile)")
        guard vol.shape == e.shape.reversed() else {
            throw LiTSError(.mismatch, path: "\(folder)/\(e.volumeFile)", "shape \(vol.shape) does not match the manifest's \(Array(e.shape.reversed()))")
        }
        var labels: LabelMap?
        if let maskFile = e.maskFile {
            let mask = try NPY.read(path: "\(folder)/\(maskFile)")
            guard mask.shape == e.shape.reversed(), mask.dtype == .uint8 else {
                throw LiTSError(.mismatch, path: "\(folder)/\(maskFile)", "expected uint8 labels of shape \(Array(e.shape.reversed()))")
            }
            labels = LabelMap(grid: grid, voxels: mask.bytes())
        }
        return TrainingCase(id: id, image: Volume(grid: grid, voxels: vol.floats()), labels: labels)
    }
}

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
}

