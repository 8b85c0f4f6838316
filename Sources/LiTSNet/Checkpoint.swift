import Foundation

/// A model on disk: `NAME.safetensors` (the state dict, PyTorch names) and `NAME.json` beside it
/// (the model config and whatever the trainer adds). scripts/unet_torch.py's `load_checkpoint`
/// reads the same pair into PyTorch.
public enum Checkpoint {
    public struct Info: Codable, Equatable, Sendable {
        public var format = "LiTSKit UNet3D checkpoint 1"
        public var model: UNetConfig
        public var extra: [String: String]

        public init(model: UNetConfig, extra: [String: String] = [:]) {
            self.model = model
            self.extra = extra
        }
    }

    static func jsonPath(_ path: String) -> String {
        (path.hasSuffix(".safetensors") ? String(path.dropLast(".safetensors".count)) : path) + ".json"
    }

    public static func save(_ model: UNet3D, to path: String, extra: [String: String] = [:]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let info = try encoder.encode(Info(model: model.config, extra: extra))
        try model.writeSafetensors(to: path, metadata: ["format": "pt"])
        let json = jsonPath(path)
        let temp = json + ".tmp-\(getpid())"
        guard FileManager.default.createFile(atPath: temp, contents: info), rename(temp, json) == 0 else {
            unlink(temp)
            throw CheckpointError(path: json, "cannot write the checkpoint config")
        }
    }

    public static func info(_ path: String) throws -> Info {
        let json = jsonPath(path)
        guard let data = FileManager.default.contents(atPath: json) else {
            throw CheckpointError(path: json, "missing: a checkpoint needs its config JSON beside the .safetensors file")
        }
        do {
            return try JSONDecoder().decode(Info.self, from: data)
        } catch {
            throw CheckpointError(path: json, "not a LiTSKit checkpoint config (\(error.localizedDescription))")
        }
    }

    /// Builds the model its config describes, running with `context`, and loads the weights;
    /// errors name the file.
    public static func load(_ path: String, context: NetContext = .default) throws -> UNet3D {
        let model = UNet3D(try info(path).model, context: context)
        try model.loadSafetensors(from: path)
        return model
    }
}
