import Foundation
import XCTest
import LiTSCore
import LiTSRender

/// gnuplot exits 0 on a full disk with a truncated PNG: a chart must be whole or an error saying
/// "no space left on the device", never a broken figure renamed into place (issue 26).
final class ChartFullDiskTests: XCTestCase {
    func chart() -> GnuplotChart {
        GnuplotChart(name: "waves", data: GnuplotChart.table(["x", "y"], (0..<400).map { [Double($0), sin(Double($0) / 9)] }),
                     commands: ["plot datafile using 1:2 with lines lw 3 title 'sine'"])
    }

    func testAChartOnAFullDiskIsAnErrorAndLeavesNoFigure() throws {
        let disk = try makeSmallDisk(self, megabytes: 2)
        for format in FigureFormat.allCases {
            let report = "\(disk)/report-\(format.rawValue)"
            try FileManager.default.createDirectory(atPath: "\(report)/figures", withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: "\(disk)/.filler")
            try fillDisk(disk, leaveKilobytes: 24)   // room for the data and script, not the figure
            XCTAssertThrowsError(try chart().render(in: report, format: format), "\(format)") { error in
                XCTAssertTrue("\(error)".contains("no space left on the device"), "\(format): \(error)")
            }
            let left = try FileManager.default.contentsOfDirectory(atPath: "\(report)/figures")
            XCTAssertEqual(left, [], "\(format): no figure and no temporary is left")
        }
    }

    func testTheSameChartWithRoomIsWhole() throws {
        let disk = try makeSmallDisk(self, megabytes: 2)
        for format in FigureFormat.allCases {
            try chart().render(in: "\(disk)/ok", format: format)
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(disk)/ok/\(format.figurePath("waves"))"))
        }
    }
}
