import XCTest
import LiTSCore

final class DiceTests: XCTestCase {
    func testDiceRules() {
        XCTAssertEqual(Dice.coefficient(intersection: 3, sizeA: 4, sizeB: 6), 0.6)
        XCTAssertEqual(Dice.coefficient(tp: 3, fp: 1, fn: 3), 0.6)
        XCTAssertEqual(Dice.coefficient(intersection: 0, sizeA: 0, sizeB: 5), 0)
        XCTAssertTrue(Dice.coefficient(intersection: 0, sizeA: 0, sizeB: 0).isNaN)
        let p: [Bool] = [true, true, false, false], t: [Bool] = [true, false, true, false]
        XCTAssertEqual(Dice.coefficient(count: 4, predicted: { p[$0] }, truth: { t[$0] }), 0.5)
    }
}
