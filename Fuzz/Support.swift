import Foundation

/// Shared by the harnesses: the input goes to a file (the readers, and libnifti, read paths).
enum FuzzInput {
    static let dir: String = {
        let d = NSTemporaryDirectory() + "litsfuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }()

    static func write(_ data: UnsafePointer<UInt8>, _ size: Int, name: String) -> String {
        let path = "\(dir)/\(name)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
        return path
    }
}
