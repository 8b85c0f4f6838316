import Foundation

// State dicts: a Module's parameters and buffers as named tensors, with PyTorch's names and
// strict loading, and their round trip through a safetensors file (Safetensors.swift).

extension Module {
    /// Parameters then buffers, with their PyTorch state-dict names.
    public func stateDict() -> [(String, Tensor)] {
        namedParameters.map { ($0.0, $0.1.value) } + namedBuffers.map { ($0.0, $0.1.value) }
    }

    /// Copies values into the parameters and buffers. Strict, as PyTorch's
    /// `load_state_dict(strict=True)`: a missing name, an unexpected name or a shape mismatch
    /// throws (listing them) and changes nothing.
    public func load(stateDict: [String: Tensor]) throws {
        let params = namedParameters, buffers = namedBuffers
        let own = params.map(\.0) + buffers.map(\.0)
        let ownSet = Set(own)
        let missing = own.filter { stateDict[$0] == nil }
        let unexpected = stateDict.keys.filter { !ownSet.contains($0) }.sorted()
        var mismatched = [String]()
        for (name, p) in params { if let t = stateDict[name], t.shape != p.value.shape { mismatched.append("\(name) \(t.shape) vs \(p.value.shape)") } }
        for (name, b) in buffers { if let t = stateDict[name], t.shape != b.value.shape { mismatched.append("\(name) \(t.shape) vs \(b.value.shape)") } }
        guard missing.isEmpty && unexpected.isEmpty && mismatched.isEmpty else {
            func list(_ xs: [String]) -> String { xs.prefix(5).joined(separator: ", ") + (xs.count > 5 ? " (\(xs.count) in all)" : "") }
            var parts = [String]()
            if !missing.isEmpty { parts.append("missing \(list(missing))") }
            if !unexpected.isEmpty { parts.append("unexpected \(list(unexpected))") }
            if !mismatched.isEmpty { parts.append("shape mismatch \(list(mismatched)) (file vs model)") }
            throw CheckpointError(path: nil, "state dict does not match the model: \(parts.joined(separator: "; "))")
        }
        for (name, p) in params { p.value = stateDict[name]! }
        for (name, b) in buffers { b.value = stateDict[name]! }
    }

    public func load(stateDict: [(String, Tensor)]) throws {
        try load(stateDict: Dictionary(stateDict, uniquingKeysWith: { _, last in last }))
    }

    /// The state dict as safetensors entries: F32, except buffers named `num_batches_tracked`,
    /// which PyTorch keeps as int64 scalars and are written as I64 so that
    /// `model.load_state_dict(safetensors.torch.load_file(path), strict=True)` reproduces them
    /// with PyTorch's dtype.
    public func safetensorsEntries() -> [String: SafetensorsTensor] {
        var out = [String: SafetensorsTensor]()
        for (name, t) in stateDict() {
            if name == "num_batches_tracked" || name.hasSuffix(".num_batches_tracked") {
                out[name] = SafetensorsTensor(shape: t.shape, int64: t.data.map { Int64($0.rounded()) })
            } else {
                out[name] = SafetensorsTensor(t)
            }
        }
        return out
    }

    /// Writes the state dict as a safetensors file, atomically.
    public func writeSafetensors(to path: String, metadata: [String: String] = [:]) throws {
        try Safetensors.write(entries: safetensorsEntries(), metadata: metadata, to: path)
    }

    /// Loads a safetensors state dict (any supported dtype, converted to Float32) and returns
    /// the file's metadata. Errors name the file.
    @discardableResult
    public func loadSafetensors(from path: String) throws -> [String: String] {
        let (tensors, metadata) = try Safetensors.read(path)
        do {
            try load(stateDict: tensors)
        } catch let e as CheckpointError {
            throw CheckpointError(path: path, e.reason)
        }
        return metadata
    }
}
