import Foundation

/// safetensors through `Safetensors.readEntries` (the path checkpoints and optimizer state take).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let path = FuzzInput.write(data, size, name: "input.safetensors")
    if let (entries, _) = try? Safetensors.readEntries(path) {
        for (_, e) in entries { precondition(e.shape.reduce(1, *) == e.count); _ = e.tensor }
    }
    return 0
}
