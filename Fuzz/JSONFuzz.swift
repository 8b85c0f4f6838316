import Foundation
import LiTSCore
import LiTSImaging
import LiTSNet
import LiTSTraining

/// The JSON files the tool reads, decoded through `JSONFile.read` into the tool's own types
/// (linked from the SwiftPM debug build): the first byte picks the type, the rest is the file.
/// Every failure must be a one-line LiTSError naming the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 1 else { return 0 }
    let dir = NSTemporaryDirectory() + "litsfuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let path = "\(dir)/input.json"
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes: data + 1, count: size - 1))
    func check<T: Decodable>(_ type: T.Type) {
        do { _ = try JSONFile.read(type, from: path) } catch let e as LiTSError {
            precondition(e.path == path && !e.description.contains("\n"), "bad error: \(e)")
        } catch { preconditionFailure("not a LiTSError: \(error)") }
    }
    switch data[0] % 6 {
    case 0: check(TrainOptions.self)              // config.json
    case 1: check(Trainer.ResumeState.self)       // state.json
    case 2: check(PreprocessManifest.self)        // manifest.json
    case 3: check(DataSplit.self)                 // split files
    case 4: check(Checkpoint.Info.self)           // NAME.json beside a checkpoint
    default: check(UNetConfig.self)
    }
    return 0
}
