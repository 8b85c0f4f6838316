# lesions_per_region: written by LiTSKit. Re-plot with: cd charts && gnuplot lesions_per_region.gp
datafile = 'lesions_per_region.dat'
if (!exists('outfile')) outfile = '../figures/lesions_per_region.png'
set terminal pngcairo size 900,560 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set title 'Lesions per third of the liver (superior-inferior), n = 70 lesions'
set ylabel 'lesions'
set style fill solid 0.8
set boxwidth 0.6
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
set xrange [-0.6:2.6]
plot datafile using 1:3:xtic(2) with boxes lc rgb '#E69F00' notitle, '' using 1:3:3 with labels offset 0,0.7 notitle
