import Foundation
import LiTSCore

/// A model on disk: `NAME.safetensors` (the state dict, PyTorch names) and `NAME.json` beside it
/// (the model config, the SHA-256 of the .safetensors file and whatever the trainer adds).
/// scripts/unet_torch.py's `load_checkpoint` reads the same pair into PyTorch.
public enum Checkpoint {
    /// The one checkpoint format this version reads and writes (recorded in NAME.json).
    public static let currentFormat = "LiTSKit UNet3D checkpoint 1"

    public struct Info: Codable, Equatable, Sendable {
        public var format = Checkpoint.currentFormat
        public var model: UNetConfig
        public var extra: [String: String]
        /// SHA-256 (hex) of NAME.safetensors as written, checked on load; nil in checkpoints
        /// written before checksums were recorded (they load unchecked).
        public var sha256: String?

        public init(model: UNetConfig, extra: [String: String] = [:], sha256: String? = nil) {
            self.model = model
            self.extra = extra
            self.sha256 = sha256
        }
    }

    public static func jsonPath(_ path: String) -> String {
        (path.hasSuffix(".safetensors") ? String(path.dropLast(".safetensors".count)) : path) + ".json"
    }

    /// Writes NAME.safetensors, then NAME.json with its checksum, each atomically and durably
    /// (`AtomicFile`); returns the config written.
    @discardableResult
    public static func save(_ model: UNet3D, to path: String, extra: [String: String] = [:]) throws -> Info {
        let sha256 = try model.writeSafetensors(checked: path, metadata: ["format": "pt"])
        let info = Info(model: model.config, extra: extra, sha256: sha256)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = jsonPath(path)
        do {
            try AtomicFile.write(try encoder.encode(info), to: json)
        } catch let e as LiTSError {
            throw CheckpointError(path: json, "cannot write the checkpoint config (\(e.reason))")
        }
        return info
    }

    public static func info(_ path: String) throws -> Info {
        let json = jsonPath(path)
        guard let data = FileManager.default.contents(atPath: json) else {
            throw CheckpointError(path: json, "missing: a checkpoint needs its config JSON beside the .safetensors file")
        }
        let info: Info
        do {
            info = try JSONDecoder().decode(Info.self, from: data)
        } catch {
            throw CheckpointError(path: json, "not a LiTSKit checkpoint config (\(error.localizedDescription))")
        }
        // Another version's layout could load into the wrong tensors without a complaint.
        guard info.format == currentFormat else {
            throw CheckpointError(path: json, "checkpoint format \"\(info.format)\" is not one this version reads (\"\(currentFormat)\")")
        }
        return info
    }

    /// Builds the model its config describes, running with `context`, and loads the weights
    /// after checking them against the config's checksum (when it has one); errors name the file.
    public static func load(_ path: String, context: NetContext = .default) throws -> UNet3D {
        let info = try info(path)
        let model = UNet3D(info.model, context: context)
        try model.loadSafetensors(checked: path, sha256: info.sha256)
        return model
    }
}

extension Module {
    /// `writeSafetensors`, returning the file's SHA-256.
    func writeSafetensors(checked path: String, metadata: [String: String]) throws -> String {
        try Safetensors.write(entries: safetensorsEntries(), metadata: metadata, to: path)
    }

    /// `loadSafetensors`, refusing a file whose bytes do not have `sha256` (when given).
    public func loadSafetensors(checked path: String, sha256: String?) throws {
        let (tensors, _) = try Safetensors.read(path, sha256: sha256)
        do {
            try load(stateDict: tensors)
        } catch let e as CheckpointError {
            throw CheckpointError(path: path, e.reason)
        }
    }
}
