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
        _ = NIfTIReader.quietLibrary
        guard path.hasSuffix(".nii") || path.hasSuffix(".nii.gz") else {
            throw LiTSError(.invalidArgument, path: path, "output name must end in .nii or .nii.gz")
        }
        try AtomicFile.write(to: path) { temp in
            try writeNow(volume, to: temp, format: format, sformCode: sformCode, qformCode: qformCode,
                         description: description, finalPath: path)
        }
    }

    private static func writeNow<T: NIfTIScalar>(_ volume: Volume<T>, to path: String, format: NIfTIFormat,
                                                 sformCode: Int32, qformCode: Int32, description: String,
                                                 finalPath: String) throws {
        let g = volume.grid
        var dims: [Int64] = [3, Int64(g.shape[0]), Int64(g.shape[1]), Int64(g.shape[2]), 1, 1, 1, 1]
        guard let nim = nifti_make_new_nim(&dims, T.niftiDatatype, 0) else {
            throw LiTSError(.notWritable, path: finalPath, "libnifti could not create the image")
        }
        defer {
            nim.pointee.data = nil  // the voxels belong to Swift; do not let libnifti free them
            nifti_image_free(nim)
        }
        nim.pointee.nifti_type = format == .nifti1 ? 1 : 4
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
        guard nifti_set_filenames(nim, path, 0, 1) == 0 else {
            throw LiTSError(.notWritable, path: finalPath, "libnifti rejected the file name")
        }
        var voxels = volume.voxels
        try voxels.withUnsafeMutableBytes { raw in
            nim.pointee.data = raw.baseAddress
            nifti_image_write(nim)
            nim.pointee.data = nil
            // nifti_image_write reports nothing; check that a readable header landed on disk.
            guard FileManager.default.fileExists(atPath: path), nifti_image_read(path, 0).map({ nifti_image_free($0) }) != nil else {
                throw LiTSError(.notWritable, path: finalPath, "libnifti failed to write the file")
            }
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
