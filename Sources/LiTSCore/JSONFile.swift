import Foundation

/// JSON files the tool reads and writes (run state.json, config.json, manifest.json, split files,
/// shard.json), with every failure turned into one `LiTSError` line naming the file and what is
/// wrong (Swift's own `DecodingError` text is several lines and names no file).
public enum JSONFile {
    /// Decodes `type` from the file at `path`. Errors: `.notFound` / `.unreadable` when the file
    /// cannot be read, `.corrupt` for invalid JSON or JSON that does not match the type.
    public static func read<T: Decodable>(_ type: T.Type, from path: String) throws -> T {
        try RegularFile.refuseSpecial(path)  // a FIFO would block the read forever
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw LiTSError(exists ? .unreadable : .notFound, path: path, exists ? "cannot read the file" : "no such file")
        }
        return try decode(type, from: data, path: path)
    }

    /// Decodes bytes already read from `path` (which names the file in errors).
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String, decoder: JSONDecoder = JSONDecoder()) throws -> T {
        do {
            return try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw LiTSError(.corrupt, path: path, describe(error))
        } catch {
            throw LiTSError(.corrupt, path: path, "not valid JSON (\(oneLine(error.localizedDescription)))")
        }
    }

    /// Pretty-printed, sorted keys, NaN and infinities written as "nan", "inf", "-inf": metrics
    /// may be NaN (a Dice with both masks empty) or infinite (a distance to nothing).
    public static func nonFiniteEncoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    /// Reads what `nonFiniteEncoder` writes.
    public static func nonFiniteDecoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
    }

    /// One line saying why decoding failed, for callers that decode themselves.
    public static func reason(_ error: Error) -> String {
        if let e = error as? DecodingError { return describe(e) }
        if let e = error as? LiTSError { return e.reason }
        return "not valid JSON (\(oneLine(error.localizedDescription)))"
    }

    /// Encodes `value` (pretty-printed, sorted keys, unless `encoder` is given) and writes it
    /// atomically. A NaN or infinite number, which JSON cannot hold, is an `.invalidValues` error
    /// naming the file and the key path.
    public static func write<T: Encodable>(_ value: T, to path: String, encoder: JSONEncoder? = nil) throws {
        let enc = encoder ?? {
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys]
            return e
        }()
        let data: Data
        do {
            data = try enc.encode(value)
        } catch EncodingError.invalidValue(let bad, let context) {
            let at = keyPath(context.codingPath)
            let what = (bad as? Double).map { "\($0)" } ?? (bad as? Float).map { "\($0)" } ?? "a value"
            throw LiTSError(.invalidValues, path: path, "cannot write \(what) at \(at.isEmpty ? "the top level" : "'\(at)'"): JSON has no NaN or infinity")
        } catch {
            throw LiTSError(.invalidValues, path: path, "cannot encode JSON (\(oneLine(error.localizedDescription)))")
        }
        try AtomicFile.write(data, to: path)
    }

    /// One line: what is wrong and where, e.g. "missing key 'history[0].epoch'".
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key '\(keyPath(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context):
            return "wrong type at \(place(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "null or missing value at \(place(context.codingPath)): expected \(typeName(type))"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                let detail = (context.underlyingError?.localizedDescription).map(oneLine) ?? oneLine(context.debugDescription)
                return "not valid JSON (\(detail))"
            }
            return "invalid value at \(place(context.codingPath)): \(oneLine(context.debugDescription))"
        @unknown default:
            return "cannot decode (\(oneLine(String(describing: error))))"
        }
    }

    static func place(_ path: [CodingKey]) -> String {
        path.isEmpty ? "the top level" : "'\(keyPath(path))'"
    }

    /// "history[0].epoch"
    static func keyPath(_ path: [CodingKey]) -> String {
        var out = ""
        for key in path {
            if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out
    }

    static func typeName(_ type: Any.Type) -> String {
        let name = String(describing: type)
        switch name {
        case "Int", "Int64", "Int32", "UInt64", "UInt8": return "an integer"
        case "Double", "Float": return "a number"
        case "String": return "a string"
        case "Bool": return "true or false"
        default:
            if name.hasPrefix("Array") || name.hasPrefix("[") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return name
        }
    }

    static func oneLine(_ s: String) -> String {
        let flat = s.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 200 ? String(flat.prefix(200)) + "..." : flat
    }
}
