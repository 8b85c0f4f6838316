import Foundation
import LiTSCore
import XCTest
@testable import LiTSCore
import LiTSImaging
import LiTSInference
import LiTSNet
@testable import LiTSTraining

/// The training loop on a tiny synthetic dataset: it learns, and a resumed run continues exactly
/// as an uninterrupted one.
final class TrainerTests: XCTestCase {
    /// A preprocessed folder with `count` phantom cases (32x32x16): a bright liver box with a darker
    /// tumor inside, on a noisy background.
    static func makeDataset(in dir: String, count: Int) throws -> PreprocessedFolder {
        var options = PreprocessOptions()
        options.inPlaneSize = [32, 32]
        options.sliceSpacing = 2
        var entries: [PreprocessedCase] = []
        for n in 0..<count {
            let grid = Grid(shape: [32, 32, 16], spacing: [1, 1, 2])
            var ct = Volume<Float>(grid: grid, repeating: 0)
            var labels = LabelMap(grid: grid, repeating: 0)
            var rng = SeededGenerator(seed: UInt64(n))
            for k in 0..<16 { for j in 0..<32 { for i in 0..<32 {
                var v: Float = -50 + Float.random(in: -30...30, using: &rng)
                if (6 + n)..<(24 + n) ~= i, 8..<26 ~= j, 3..<13 ~= k { v = 120 + Float.random(in: -15...15, using: &rng); labels[i, j, k] = 1 }
                if (12 + n)..<(17 + n) ~= i, 12..<17 ~= j, 6..<10 ~= k { v = 40 + Float.random(in: -15...15, using: &rng); labels[i, j, k] = 2 }
                ct[i, j, k] = v
            } } }
            let source = NIfTISource(path: "case\(n)", header: NIfTIHeader(version: 1, dims: [3, 32, 32, 16, 1, 1, 1, 1], datatype: 16, bitpix: 32, pixdim: [1, 1, 1, 2, 0, 0, 0, 0], voxOffset: 352, sclSlope: 1, sclInter: 0, bigEndian: false), grid: grid, sformCode: 1, qformCode: 1)
            let c = LoadedCase(info: Case(id: String(n), volumePath: "case\(n)", segmentationPath: "seg\(n)", layout: .lits), ct: ct, labels: labels,
                               source: source, reorientation: Reorientation(sourceGrid: grid))
            let (image, mask, entry) = Preprocessor.run(c, options: options)
            try NPY.write(image, to: "\(dir)/\(entry.volumeFile)")
            try NPY.write(mask!, to: "\(dir)/\(entry.maskFile!)")
            entries.append(entry)
        }
        let manifest = PreprocessManifest(options: options, cases: entries, failed: [:])
        try AtomicFile.write(try JSONEncoder().encode(manifest), to: "\(dir)/manifest.json")
        return try PreprocessedFolder(reading: dir)
    }

    static func options(epochs: Int, ids: [String]) -> TrainOptions {
        var o = TrainOptions()
        o.model.filters = [4, 8]
        o.patch = PatchSize(d: 8, h: 16, w: 16)
        o.volumesPerBatch = 1
        o.patchesPerVolume = 2
        o.epochs = epochs
        o.batchesPerEpoch = 8
        o.loss = .dice
        o.learningRate = 0.01
        o.split = DataSplit(train: ids, validation: ids, test: [])
        return o
    }

    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "litskit-train-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func testTrainingLearnsTheLiver() throws {
        let data = try TrainerTests.makeDataset(in: try tempDir(), count: 2)
        let trainer = Trainer(options: TrainerTests.options(epochs: 4, ids: data.ids), data: data)
        _ = try trainer.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, _ in })
        let h = trainer.history
        XCTAssertEqual(h.count, 4)
        XCTAssertLessThan(h.last!.trainLoss, h.first!.trainLoss)
        XCTAssertGreaterThan(h.last!.diceLiver ?? 0, 0.8, "validation liver Dice after 32 steps: \(h.map { $0.diceLiver ?? -1 })")
        XCTAssertGreaterThan(h.last!.sampler.liverShare, 0.5)
    }

    func testResumeContinuesBitForBit() throws {
        let dataDir = try tempDir()
        let data = try TrainerTests.makeDataset(in: dataDir, count: 2)
        let straight = Trainer(options: TrainerTests.options(epochs: 2, ids: data.ids), data: data)
        _ = try straight.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, _ in })

        let runDir = try tempDir()
        let run = RunFolder(runDir)
        let first = Trainer(options: TrainerTests.options(epochs: 1, ids: data.ids), data: data)
        _ = try first.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, best in try run.save(first, isBest: best) })
        let resumed = Trainer(options: TrainerTests.options(epochs: 2, ids: data.ids), data: data)
        try TrainerTests.assertResumingFromEpoch1(run, into: resumed, matches: straight)
    }

    /// Restores epoch 1 from `run` into `resumed`, trains it to the end, and checks that it ends
    /// with `straight`'s weights, rates and losses.
    static func assertResumingFromEpoch1(_ run: RunFolder, into resumed: Trainer, matches straight: Trainer,
                                         file: StaticString = #filePath, line: UInt = #line) throws {
        try run.restore(into: resumed)
        XCTAssertEqual(resumed.history.count, 1, file: file, line: line)
        _ = try resumed.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, _ in })
        for ((name, a), (_, b)) in zip(straight.model.stateDict(), resumed.model.stateDict()) {
            XCTAssertEqual(a, b, "\(name) differs after resuming", file: file, line: line)
        }
        XCTAssertEqual(straight.history.map(\.learningRate), resumed.history.map(\.learningRate), file: file, line: line)
        XCTAssertEqual(straight.history.map(\.trainLoss), resumed.history.map(\.trainLoss), file: file, line: line)
    }
}
