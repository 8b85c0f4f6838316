# tumor_burden: written by LiTSKit. Re-plot with: cd charts && gnuplot tumor_burden.gp
datafile = 'tumor_burden.dat'
if (!exists('outfile')) outfile = '../figures/tumor_burden.png'
set terminal pngcairo size 900,560 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set title 'Tumor burden per case (tumor mL / liver mL), n = 1 cases with liver'
set xlabel 'case'
set ylabel 'tumor burden (%)'
set style fill solid 0.8
set boxwidth 0.7
set yrange [0:*]
set xrange [-0.6:0.6]
set key top right
plot datafile using 1:3:xtic(2) with boxes lc rgb '#CC79A7' notitle, 21.13964225295807 with lines dt 2 lw 2 lc rgb '#333333' title 'mean 21.14%'
