import Foundation

/// `.npy` through `NPY.read`, then the conversions training uses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let path = FuzzInput.write(data, size, name: "input.npy")
    if let a = try? NPY.read(path: path) {
        precondition(a.shape.reduce(1, *) * a.dtype.size == a.data.count)
        _ = a.floats()
        _ = a.bytes()
        _ = try? a.requireFinite(path: path)
    }
    return 0
}
