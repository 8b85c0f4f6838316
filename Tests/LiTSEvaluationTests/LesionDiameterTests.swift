import XCTest
@testable import LiTSEvaluation

final class LesionDiameterTests: XCTestCase {
    /// A 5 x 3 rectangle of voxels at 0.8 x 0.5 mm: corner to corner sqrt((4*0.8)^2 + (2*0.5)^2);
    /// a longer line on another slice wins.
    func testLongestInPlaneDiameter() {
        let shape = [10, 10, 3], spacing = [0.8, 0.5, 2.0]
        var rect: [Int] = []
        for j in 2..<5 { for i in 1..<6 { rect.append(i + 10 * j) } }
        XCTAssertEqual(LesionDiameter.longestInPlane(rect, shape: shape, spacing: spacing), (3.2 * 3.2 + 1.0).squareRoot(), accuracy: 1e-12)
        let line = (0..<8).map { 2 * 100 + 5 + 10 * $0 }   // 8 voxels along j on slice 2: 3.5 mm
        XCTAssertEqual(LesionDiameter.longestInPlane(rect + line, shape: shape, spacing: spacing), 3.5 + 0 * 1, accuracy: 1e-12)
        XCTAssertEqual(LesionDiameter.longestInPlane([55], shape: shape, spacing: spacing), 0)
    }
}
