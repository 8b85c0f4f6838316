import Foundation
import XCTest
@testable import LiTSTraining

/// `--lr-schedule poly`: nnU-Net's decay, taken from the epoch alone, so a resumed run sets the
/// same rates as an uninterrupted one.
final class LRScheduleTests: XCTestCase {
    func testPolyRateIsNNUNetsFormula() {
        // nnU-Net: initial * (1 - current_epoch / max_epochs)^0.9 with current_epoch from 0.
        XCTAssertEqual(PolyLearningRate.rate(initial: 0.01, epoch: 1, of: 1000), 0.01)
        XCTAssertEqual(Double(PolyLearningRate.rate(initial: 0.01, epoch: 501, of: 1000)), 0.01 * pow(0.5, 0.9), accuracy: 1e-9)
        XCTAssertEqual(Double(PolyLearningRate.rate(initial: 0.01, epoch: 1000, of: 1000)), 0.01 * pow(0.001, 0.9), accuracy: 1e-10)
        XCTAssertEqual(Double(PolyLearningRate.rate(initial: 0.003, epoch: 40, of: 40)), 0.003 * pow(1.0 / 40, 0.9), accuracy: 1e-10)
        let rates = (1...40).map { PolyLearningRate.rate(initial: 0.003, epoch: $0, of: 40) }
        XCTAssertEqual(rates, rates.sorted(by: >), "the rate only falls")
        XCTAssertGreaterThan(rates.last!, 0)
    }

    func testAPolyRunRecordsEachEpochsRateAndIgnoresThePlateau() throws {
        let data = try TrainerTests.makeDataset(in: try tempDir(), count: 2)
        var options = TrainerTests.options(epochs: 3, ids: data.ids)
        options.lrSchedule = .poly
        options.lrPatience = 0  // a plateau scheduler would halve the rate after every epoch
        let trainer = Trainer(options: options, data: data)
        _ = try trainer.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, _ in })
        XCTAssertEqual(trainer.history.map { Float($0.learningRate) },
                       (1...3).map { PolyLearningRate.rate(initial: 0.01, epoch: $0, of: 3) })
    }

    func testAnInterruptedPolyRunResumesBitForBit() throws {
        let data = try TrainerTests.makeDataset(in: try tempDir(), count: 2)
        var options = TrainerTests.options(epochs: 3, ids: data.ids)
        options.lrSchedule = .poly
        let straight = Trainer(options: options, data: data)
        _ = try straight.train(shouldStop: { false }, report: { _ in }, endOfEpoch: { _, _ in })

        let run = RunFolder(try tempDir())
        let first = Trainer(options: options, data: data)
        // Stopped in the second epoch: the run folder holds epoch 1.
        let finished = try first.train(shouldStop: { first.history.count == 1 }, report: { _ in },
                                       endOfEpoch: { _, best in try run.save(first, isBest: best) })
        XCTAssertFalse(finished)
        let resumed = Trainer(options: options, data: data)
        try TrainerTests.assertResumingFromEpoch1(run, into: resumed, matches: straight)
    }

    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "litskit-lr-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }
}
