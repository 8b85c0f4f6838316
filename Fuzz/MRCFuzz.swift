import Foundation

/// MRC through `MRC.read` and both axis orders of `readNIfTIOrder`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMRC(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let path = FuzzInput.write(data, size, name: "input.mrc")
    for order in MRC.AxisOrder.allCases {
        if let (shape, voxels) = try? MRC.readNIfTIOrder(path: path, order: order) {
            precondition(shape.reduce(1, *) == voxels.count)
        }
    }
    return 0
}
