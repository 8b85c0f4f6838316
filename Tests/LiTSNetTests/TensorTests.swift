import LiTSCore
import XCTest
@testable import LiTSNet

final class TensorTests: XCTestCase {
    func testStridesAndSeededGenerator() {
        let t = Tensor(shape: [2, 3, 4, 5, 6])
        XCTAssertEqual(t.strides, [360, 120, 30, 6, 1])
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7)
        XCTAssertEqual(Tensor.uniform([10], bound: 1, using: &a), Tensor.uniform([10], bound: 1, using: &b))
    }
}
