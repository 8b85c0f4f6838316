# enhancement_metrics: written by LiTSKit. Re-plot with: cd charts && gnuplot enhancement_metrics.gp
datafile = 'enhancement_metrics.dat'
if (!exists('outfile')) outfile = '../figures/enhancement_metrics.png'
set terminal pngcairo size 1100,480 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set multiplot layout 1,2 title 'Enhancement methods, liver window'
set style fill solid 0.8
set boxwidth 0.6
set title 'liver-tumor contrast (higher is better)'
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set xrange [-0.6:4.6]
set xtics rotate by -30
plot datafile using 1:3:xtic(2) with boxes lc rgb '#009E73' notitle, '' using 1:3:3 with labels offset 0,0.7 font ',9' notitle
unset label 91
set title 'std of liver mean across slices (lower is better)'
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set xrange [-0.6:4.6]
set xtics rotate by -30
plot datafile using 1:4:xtic(2) with boxes lc rgb '#0072B2' notitle, '' using 1:4:4 with labels offset 0,0.7 font ',9' notitle
unset label 91
unset multiplot
