# detection_by_size: written by LiTSKit. Re-plot with: cd charts && gnuplot detection_by_size.gp
datafile = 'detection_by_size.dat'
if (!exists('outfile')) outfile = '../figures/detection_by_size.png'
set terminal pngcairo size 900,560 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set title 'Lesion detection (recall) by size, n = 70 truth lesions'
set ylabel 'recall'
set yrange [0:1.1]
set style fill solid 0.8
set boxwidth 0.6
set xrange [-0.6:2.6]
plot datafile using 1:3:xtic(2) with boxes lc rgb '#E69F00' notitle, '' using 1:6:5 with labels offset 0,0.8 notitle
