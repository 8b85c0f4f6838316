import Foundation
import XCTest
import LiTSCore
import LiTSInference
import LiTSNet
import LiTSRender
@testable import LiTSTraining

/// Augmentation inside the training loop: off is today's loop exactly, on is seeded so --resume
/// stays bit for bit.
final class AugmentedTrainingTests: XCTestCase {
    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "litskit-aug-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    static func augmented(_ o: TrainOptions) -> TrainOptions {
        var o = o
        o.augmentation = .nnUNetDefault(patch: o.patch)
        o.augmentation.elastic.probability = 0.2
        o.augmentation.rotation.probability = 0.5
        return o
    }

    /// `--augment none` trains on the sampler's patches as cut: the weights equal those of the
    /// loop written out here the way the trainer was before augmentation existed.
    func testAugmentationOffGivesTheWeightsOfThePlainLoop() throws {
        let data = try TrainerTests.makeDataset(in: try tempDir(), count: 2)
        let options = TrainerTests.options(epochs: 1, ids: data.ids)
        XCTAssertTrue(options.augmentation.isOff)
        let trainer = Trainer(options: options, data: data)
        _ = try trainer.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, _ in })

        let reference = Trainer(options: options, data: data)
        let model = reference.model, optimizer = reference.optimizer
        model.setTraining(true)
        var sampler = PatchSampler(mode: options.sampling, size: options.patch, seed: Trainer.seed(options.seed, 1, 1))
        var pick = SeededGenerator(seed: Trainer.seed(options.seed, 1, 2))
        for _ in 1...options.batchesPerEpoch {
            var patches: [SampledPatch] = []
            var ids = options.split.train.shuffled(using: &pick)
            while ids.count < options.volumesPerBatch { ids += options.split.train.shuffled(using: &pick) }
            for id in ids.prefix(options.volumesPerBatch) {
                let c = try data.load(id)
                patches += sampler.sample(image: c.image, labels: c.labels!, count: options.patchesPerVolume, caseID: id)
            }
            let (x, y) = PatchSampler.makeBatch(patches, size: options.patch)
            model.zeroGrad()
            let loss = reference.lossFunction(model.forward(x), y)
            model.backward(loss.grad)
            optimizer.step()
        }
        for ((name, a), (_, b)) in zip(trainer.model.stateDict(), model.stateDict()) {
            XCTAssertEqual(a, b, "\(name): --augment none changed training")
        }
    }

    func testResumeWithAugmentationContinuesBitForBit() throws {
        let data = try TrainerTests.makeDataset(in: try tempDir(), count: 2)
        let two = Self.augmented(TrainerTests.options(epochs: 2, ids: data.ids))
        let straight = Trainer(options: two, data: data)
        _ = try straight.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, _ in })

        let run = RunFolder(try tempDir())
        var one = two
        one.epochs = 1
        let first = Trainer(options: one, data: data)
        _ = try first.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, best in try run.save(first, isBest: best) })
        let resumed = Trainer(options: two, data: data)
        try run.restore(into: resumed)
        _ = try resumed.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, _ in })
        for ((name, a), (_, b)) in zip(straight.model.stateDict(), resumed.model.stateDict()) {
            XCTAssertEqual(a, b, "\(name) differs after resuming an augmented run")
        }
        XCTAssertEqual(straight.history.map(\.trainLoss), resumed.history.map(\.trainLoss))

        // And augmentation is in effect: the same run without it trains differently.
        let plain = Trainer(options: TrainerTests.options(epochs: 2, ids: data.ids), data: data)
        _ = try plain.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, _ in })
        XCTAssertNotEqual(plain.history.map(\.trainLoss), straight.history.map(\.trainLoss))
    }

    func testTheRunFolderShowsAugmentedPatchesBesideTheirOriginals() throws {
        let data = try TrainerTests.makeDataset(in: try tempDir(), count: 2)
        let dir = try tempDir()
        let trainer = Trainer(options: Self.augmented(TrainerTests.options(epochs: 1, ids: data.ids)), data: data)
        _ = try trainer.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, best in try RunFolder(dir).save(trainer, isBest: best) })
        let file = "\(dir)/\(AugmentationMontage.name).png"
        let png = try PNG.read(path: file)
        // 8 pairs of 200-pixel-high tiles, 4 tiles a row, with captions and a legend.
        XCTAssertGreaterThan(png.height, 4 * Int(AugmentationMontage.tileHeight))
        let index = try String(contentsOfFile: "\(dir)/index.md", encoding: .utf8)
        XCTAssertTrue(index.contains("(figures/augmentation.png)"), index)
        XCTAssertTrue(index.contains("Augmentation: rotation (p 0.5"), index)
        let before = try Data(contentsOf: URL(fileURLWithPath: file))
        try RunFolder(dir).save(trainer, isBest: false)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: file)), before, "the figure is seeded")
    }
}
