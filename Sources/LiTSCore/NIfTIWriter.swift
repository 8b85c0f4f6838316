import CNIfTI
import Foundation

/// Scalar types we write to NIfTI, with their datatype codes.
public protocol NIfTIScalar { static var niftiDatatype: Int32 { get } }
extension UInt8: NIfTIScalar { public static var niftiDatatype: Int32 { 2 } }
extension Int16: NIfTIScalar { public static var niftiDatatype: Int32 { 4 } }
extension Int32: NIfTIScalar { public static var niftiDatatype: Int32 { 8 } }
extension Float: NIfTIScalar { public static var niftiDatatype: Int32 { 16 } }
extension Double: NIfTIScalar { public static var niftiDatatype: Int32 { 64 } }

public enum NIfTIFormat: Sendable { case nifti1, nifti2 }

/// Writes volumes through libnifti, atomically (temporary file in the same folder, then rename).
/// The volume's grid affine goes into both the sform and the qform, so any reader agrees.
public enum NIfTIWriter {
    public static func write<T: NIfTIScalar>(_ volume: Volume<T>, to path: String, format: NIfTIFormat = .nifti1,
                                             sformCode: Int32 = 1, qformCode: Int32 = 1,
                                             description: String = "LiTSKit") throws {
        try write(volume, to: path, format: format, sformCode: sformCode, qformCode: qformCode,
                  description: description, gzipMemberBytes: GzipWhole.memberBytes)
    }

    /// `write` with the size of each gzip member chosen (tests use small ones to get several).
    static func write<T: NIfTIScalar>(_ volume: Volume<T>, to path: String, format: NIfTIFormat,
                                      sformCode: Int32, qformCode: Int32, description: String,
                                      gzipMemberBytes: Int) throws {
        _ = NIfTIReader.quietLibrary
        guard path.hasSuffix(".nii") || path.hasSuffix(".nii.gz") else {
            throw LiTSError(.invalidArgument, path: path, "output name must end in .nii or .nii.gz")
        }
        try AtomicFile.write(to: path) { temp in
            try writeNow(volume, to: temp, format: format, sformCode: sformCode, qformCode: qformCode,
                         description: description, finalPath: path, gzipMemberBytes: gzipMemberBytes)
        }
    }

    private static func writeNow<T: NIfTIScalar>(_ volume: Volume<T>, to path: String, format: NIfTIFormat,
                                                 sformCode: Int32, qformCode: Int32, description: String,
                                                 finalPath: String, gzipMemberBytes: Int) throws {
        let g = volume.grid
        var dims: [Int64] = [3, Int64(g.shape[0]), Int64(g.shape[1]), Int64(g.shape[2]), 1, 1, 1, 1]
        guard let nim = nifti_make_new_nim(&dims, T.niftiDatatype, 0) else {
            throw LiTSError(.notWritable, path: finalPath, "libnifti could not create the image")
        }
        defer {
            nim.pointee.data = nil  // the voxels belong to Swift; do not let libnifti free them
            nifti_image_free(nim)
        }
        nim.pointee.dx = g.spacing[0]; nim.pointee.dy = g.spacing[1]; nim.pointee.dz = g.spacing[2]
        nim.pointee.pixdim.1 = g.spacing[0]; nim.pointee.pixdim.2 = g.spacing[1]; nim.pointee.pixdim.3 = g.spacing[2]
        nim.pointee.xyz_units = 2  // NIFTI_UNITS_MM
        nim.pointee.scl_slope = 1
        nim.pointee.scl_inter = 0

        let m = dmat(g.affine)
        nim.pointee.sform_code = sformCode
        nim.pointee.sto_xyz = m
        nim.pointee.sto_ijk = nifti_dmat44_inverse(m)
        var qb = 0.0, qc = 0.0, qd = 0.0, qx = 0.0, qy = 0.0, qz = 0.0, dx = 0.0, dy = 0.0, dz = 0.0, qfac = 0.0
        nifti_dmat44_to_quatern(m, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac)
        nim.pointee.qform_code = qformCode
        nim.pointee.quatern_b = qb; nim.pointee.quatern_c = qc; nim.pointee.quatern_d = qd
        nim.pointee.qoffset_x = qx; nim.pointee.qoffset_y = qy; nim.pointee.qoffset_z = qz
        nim.pointee.qfac = qfac
        nim.pointee.qto_xyz = nifti_quatern_to_dmat44(qb, qc, qd, qx, qy, qz, g.spacing[0], g.spacing[1], g.spacing[2], qfac)
        withUnsafeMutableBytes(of: &nim.pointee.descrip) { raw in
            let bytes = Array(description.utf8.prefix(79))
            raw.copyBytes(from: bytes + [0])
        }
        // libnifti builds the header; we write header, extension flag and voxels with its znz layer.
        // (nifti_image_write in libnifti 3.0.1 treats single-file NIfTI-2 as a two-file format and
        // overwrites the header with the voxels, so we do not use it for either version.)
        nim.pointee.nifti_type = format == .nifti1 ? 1 : 4  // NIFTI_FTYPE_NIFTI1_1 / NIFTI2_1
        var headerBytes: [UInt8]
        switch format {
        case .nifti1:
            var h = nifti_1_header()
            guard nifti_convert_nim2n1hdr(nim, &h) == 0 else {
                throw LiTSError(.notWritable, path: finalPath, "libnifti could not build a NIfTI-1 header")
            }
            h.vox_offset = 352
            headerBytes = withUnsafeBytes(of: &h) { Array($0) }
        case .nifti2:
            var h = nifti_2_header()
            guard nifti_convert_nim2n2hdr(nim, &h) == 0 else {
                throw LiTSError(.notWritable, path: finalPath, "libnifti could not build a NIfTI-2 header")
            }
            h.vox_offset = 544
            headerBytes = withUnsafeBytes(of: &h) { Array($0) }
        }
        headerBytes += [0, 0, 0, 0]  // no extensions
        let dataBytes = volume.voxels.count * MemoryLayout<T>.stride
        // gzip: libdeflate on all workers where it is installed, else zlib through znz.
        if path.hasSuffix(".gz") {
            let done = try headerBytes.withUnsafeBytes { head in
                try volume.voxels.withUnsafeBytes { data in
                    try GzipWhole.compress([head, UnsafeRawBufferPointer(rebasing: data[0..<dataBytes])],
                                           to: path, finalPath: finalPath,
                                           memberBytes: gzipMemberBytes)
                }
            }
            if done { return }
        }
        // Plain files with POSIX calls, so a failure says why (a full disk, no permission).
        if !path.hasSuffix(".gz") {
            try headerBytes.withUnsafeBytes { head in
                try volume.voxels.withUnsafeBytes { data in
                    try AtomicFile.create(path, holding: [head, UnsafeRawBufferPointer(rebasing: data[0..<dataBytes])], naming: finalPath)
                }
            }
            return
        }
        errno = 0
        guard let fp = znzopen(path, "wb", 1) else {
            throw LiTSError.writeFailed(finalPath, "cannot create file", errno: errno)
        }
        var f: znzFile? = fp
        let wroteHeader = headerBytes.withUnsafeBytes { znzwrite($0.baseAddress, 1, $0.count, fp) }
        let wroteData = volume.voxels.withUnsafeBytes { znzwrite($0.baseAddress, 1, dataBytes, fp) }
        let code = wroteHeader == headerBytes.count && wroteData == dataBytes ? 0 : errno  // zlib leaves write()'s errno
        let closed = Xznzclose(&f)
        guard wroteHeader == headerBytes.count, wroteData == dataBytes, closed == 0 else {
            throw LiTSError.writeFailed(finalPath, "cannot write file", errno: code != 0 ? code : errno)
        }
    }

    static func dmat(_ a: Affine) -> nifti_dmat44 {
        var m = nifti_dmat44()
        withUnsafeMutableBytes(of: &m.m) { raw in
            let d = raw.bindMemory(to: Double.self)
            for i in 0..<16 { d[i] = a.m[i] }
        }
        return m
    }
}
