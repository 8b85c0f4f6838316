# lesion_sizes: written by LiTSKit. Re-plot with: cd charts && gnuplot lesion_sizes.gp
datafile = 'lesion_sizes.dat'
if (!exists('outfile')) outfile = '../figures/lesion_sizes.png'
set terminal pngcairo size 900,560 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set title 'Lesion size (equivalent-sphere diameter), n = 70 lesions'
set xlabel 'diameter (mm)'
set ylabel 'lesions'
set style fill solid 0.8
set boxwidth 0.7
set yrange [0:*]
set offsets 0, 0, graph 0.1, 0
set xrange [-0.6:5.6]
plot datafile using 1:3:xtic(2) with boxes lc rgb '#D55E00' notitle, '' using 1:3:3 with labels offset 0,0.7 notitle
