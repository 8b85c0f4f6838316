import Foundation

/// NIfTI-1 and NIfTI-2 (`.nii`): header, affine and voxels through the real reader.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNIfTI(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    LiTSWarnings.handler = nil
    let path = FuzzInput.write(data, size, name: "input.nii")
    if let (v, source) = try? NIfTIReader.readFloat(path: path) {
        precondition(v.count == source.grid.count)
        precondition(source.grid.affine.m.allSatisfy { $0.isFinite }, "non-finite affine left the reader")
        _ = source.grid.axisCodes
        _ = Reorientation(sourceGrid: v.grid).canonicalShape
    }
    _ = try? NIfTIReader.readLabels(path: path)
    return 0
}
