import Foundation
import LiTSCore
import LiTSNet

/// Which checkpoint of a run to predict with.
public enum CheckpointChoice: String, CaseIterable, Codable, Sendable {
    /// Best validation score (mean of liver and lesion Dice).
    case best
    /// The end of the last finished epoch.
    case last
}

/// A `lits train` run folder as prediction sees it: `config.json` and the checkpoints. The
/// file names are the ones the training run folder writes.
public struct TrainedRun: Sendable {
    public static let configFile = "config.json"
    /// The command whose marker a run folder carries.
    public static let command = "lits train"
    public static func checkpointFile(_ choice: CheckpointChoice) -> String { "\(choice.rawValue).safetensors" }

    public let path: String
    public let config: InferenceConfig
    /// The checkpoint a run predicts with when none is asked for: `last` for a run trained with
    /// the poly schedule (decayed to near 0 by its last epoch, nnU-Net's final model), `best`
    /// (the best validation score) otherwise.
    public let defaultCheckpoint: CheckpointChoice

    /// Reads the run's `config.json`.
    public init(reading path: String) throws {
        let file = "\(path)/\(TrainedRun.configFile)"
        guard let data = FileManager.default.contents(atPath: file) else {
            throw LiTSError(.notFound, path: file, "no config.json: not a `lits train` run folder")
        }
        config = try JSONFile.decode(InferenceConfig.self, from: data, path: file)
        // The schedule is training's (TrainOptions.lrSchedule), not part of InferenceConfig.
        struct Schedule: Decodable { var lrSchedule: String? }
        defaultCheckpoint = (try? JSONDecoder().decode(Schedule.self, from: data))?.lrSchedule == "poly" ? .last : .best
        if let problem = config.problem { throw LiTSError(.corrupt, path: file, problem) }
        _ = try OutputFolder.requireMarker(path, command: TrainedRun.command)
        self.path = path
    }

    /// The first weight or statistic that is not finite.
    static func nonFiniteTensor(_ model: UNet3D) -> String? {
        model.stateDict().first { !$0.1.data.allSatisfy(\.isFinite) }?.0
    }

    public func checkpointPath(_ choice: CheckpointChoice) -> String { "\(path)/\(TrainedRun.checkpointFile(choice))" }

    /// A checkpoint's config JSON (model and checksum).
    public func checkpointInfo(_ choice: CheckpointChoice) throws -> Checkpoint.Info {
        let file = checkpointPath(choice)
        do { return try Checkpoint.info(file) } catch let e as CheckpointError { throw LiTSError(.corrupt, path: e.path ?? file, e.reason) }
    }

    /// The model of a checkpoint, after checking that it is the model the run's config describes.
    public func loadModel(_ choice: CheckpointChoice, context: NetContext = .default) throws -> UNet3D {
        let file = checkpointPath(choice)
        guard FileManager.default.fileExists(atPath: file) else {
            throw LiTSError(.notFound, path: file, "no \(choice.rawValue) checkpoint in the run (has it finished an epoch?)")
        }
        do {
            let info = try Checkpoint.info(file)
            guard info.model == config.model else {
                throw LiTSError(.mismatch, path: file, "checkpoint config \(info.model.filters) does not match the run's config.json \(config.model.filters)")
            }
            let model = try Checkpoint.load(file, context: context)
            if let name = TrainedRun.nonFiniteTensor(model) {
                throw LiTSError(.invalidValues, path: file, "holds NaN or infinite values in \(name) (did the run diverge?); refusing to predict with it")
            }
            return model
        } catch let e as CheckpointError {
            throw LiTSError(.corrupt, path: e.path ?? file, e.reason)
        }
    }
}
