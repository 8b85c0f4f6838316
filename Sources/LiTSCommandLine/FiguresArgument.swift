import ArgumentParser
import LiTSRender

/// `--figures png|svg|pdf` takes the shared `FigureFormat`.
extension FigureFormat: ExpressibleByArgument {}

/// The help of `--figures`, one text for every command that writes figures.
public let figuresHelp = ArgumentHelp("Format of the figures: png, svg or pdf (charts through gnuplot's pngcairo, svg and pdfcairo terminals; the page links the files written).")
