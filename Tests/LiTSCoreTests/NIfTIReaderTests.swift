import XCTest
@testable import LiTSCore

/// Every fixture was written by nibabel 5.4.2 (scripts/make_nifti_fixtures.py); expected.json holds
/// what nibabel reads from it: affine, zooms, axis codes, voxel values, and the same after
/// `as_closest_canonical`.
final class NIfTIReaderTests: XCTestCase {
    func testEveryFixtureMatchesNibabel() throws {
        let expected = try loadJSON("nifti/expected.json")
        XCTAssertGreaterThanOrEqual(expected.count, 14)
        for (name, value) in expected.sorted(by: { $0.key < $1.key }) {
            let e = value as! [String: Any]
            let (volume, source) = try NIfTIReader.readFloat(path: fixturePath("nifti/\(name)"))
            XCTAssertEqual(volume.shape, e["shape"] as! [Int], name)
            XCTAssertEqual(source.datatypeName, e["dtype"] as! String, name)
            XCTAssertEqual(source.header.version, e["nifti_version"] as! Int, name)
            let affine = (e["affine"] as! [[Double]]).flatMap { $0 }
            assertClose(volume.grid.affine.m, affine, tol: 1e-6, "\(name) affine")
            assertClose(volume.grid.spacing, e["zooms"] as! [Double], tol: 1e-7, "\(name) zooms")
            XCTAssertEqual(volume.grid.axisCodes, (e["axcodes"] as! [String]).joined(), name)
            // float32 holds every fixture value to 1e-7 relative (int32 values beyond 2^24 included).
            assertClose(volume.voxels.map(Double.init), e["data"] as! [Double], tol: 1e-7, "\(name) data")

            let canonical = e["canonical"] as! [String: Any]
            let r = Reorientation(sourceGrid: volume.grid)
            let c = r.toCanonical(volume)
            XCTAssertEqual(c.shape, canonical["shape"] as! [Int], "\(name) canonical shape")
            assertClose(c.grid.affine.m, (canonical["affine"] as! [[Double]]).flatMap { $0 }, tol: 1e-6, "\(name) canonical affine")
            XCTAssertEqual(c.grid.axisCodes, (canonical["axcodes"] as! [String]).joined(), "\(name) canonical axcodes")
            assertClose(c.voxels.map(Double.init), canonical["data"] as! [Double], tol: 1e-7, "\(name) canonical data")
            // And back: the file's own order is restored exactly.
            XCTAssertEqual(r.toSource(c, sourceGrid: volume.grid).voxels, volume.voxels, "\(name) round trip")
        }
    }

    func testSlopeAndInterceptAreApplied() throws {
        let (v, source) = try NIfTIReader.readFloat(path: fixturePath("nifti/int16_slope_inter.nii"))
        XCTAssertEqual(source.header.sclSlope, 0.5)
        XCTAssertEqual(source.header.sclInter, -1024)
        XCTAssertEqual(v.voxels.first, -1270.5)  // raw 493 * 0.5 - 1024
    }

    func testAffineChoiceFollowsNibabel() throws {
        // sform (code 2) wins over a different qform.
        let sheared = try NIfTIReader.readSource(path: fixturePath("nifti/sheared_sform.nii.gz"))
        XCTAssertEqual(sheared.sformCode, 2)
        XCTAssertNotEqual(sheared.grid.affine[0, 1], 0, "the shear must come from the sform")
        // qform only.
        let rotated = try NIfTIReader.readSource(path: fixturePath("nifti/rotated_qform.nii"))
        XCTAssertEqual(rotated.sformCode, 0)
        XCTAssertEqual(rotated.qformCode, 1)
        // Neither: nibabel's base affine with x flipped and the origin at the centre.
        let none = try NIfTIReader.readSource(path: fixturePath("nifti/no_xform.nii"))
        XCTAssertEqual(none.grid.affine.rows[0], [-1.5, 0, 0, 3])
        XCTAssertEqual(none.grid.axisCodes, "LAS")
    }

    func testPermutedAxesBecomeRAS() throws {
        let (v, _) = try NIfTIReader.readFloat(path: fixturePath("nifti/permuted_axes.nii.gz"))
        XCTAssertEqual(v.grid.axisCodes, "PIR")
        let c = Reorientation(sourceGrid: v.grid).toCanonical(v)
        XCTAssertEqual(c.grid.axisCodes, "RAS")
        XCTAssertEqual(c.shape, [3, 5, 4])
        XCTAssertEqual(c.grid.spacing, [v.grid.spacing[2], v.grid.spacing[0], v.grid.spacing[1]])
    }
}
