import Foundation
import zlib

/// `.nii.gz` through libnifti's znzlib and zlib, as the reader uses it. An input that is a gzip
/// stream (1f 8b) is written as is (corrupt streams); anything else is a NIfTI file that the
/// harness compresses first, so the mutations reach the header and voxels behind the gzip layer.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNIfTIGzip(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    LiTSWarnings.handler = nil
    let path: String
    if size >= 2 && data[0] == 0x1f && data[1] == 0x8b {
        path = FuzzInput.write(data, size, name: "input.nii.gz")
    } else {
        path = "\(FuzzInput.dir)/input.nii.gz"
        guard let gz = gzopen(path, "wb1") else { return 0 }
        if size > 0 { _ = gzwrite(gz, data, UInt32(size)) }
        gzclose(gz)
    }
    if let (v, source) = try? NIfTIReader.readFloat(path: path) {
        precondition(v.count == source.grid.count)
        precondition(source.grid.affine.m.allSatisfy { $0.isFinite }, "non-finite affine left the reader")
    }
    _ = try? NIfTIReader.readLabels(path: path)
    return 0
}
