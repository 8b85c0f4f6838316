# hu_histograms: written by LiTSKit. Re-plot with: cd charts && gnuplot hu_histograms.gp
datafile = 'hu_histograms.dat'
if (!exists('outfile')) outfile = '../figures/hu_histograms.png'
set terminal pngcairo size 900,560 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set title 'HU per class (1-HU bins, each class sums to 1)'
set xlabel 'HU'
set ylabel 'fraction of the class per HU'
set xrange [-300:600]
set key top left
set object 1 rect from -100, graph 0 to 400, graph 1 fc rgb '#fff2cc' fs solid 0.6 behind
set label 1 'baseline window [-100, 400]' at -95, graph 0.95
plot datafile index 0 using 1:2 with lines lw 2 lc rgb '#888888' title 'body', \
     datafile index 1 using 1:2 with lines lw 2 lc rgb '#009E73' title 'liver', \
     datafile index 2 using 1:2 with lines lw 2 lc rgb '#D55E00' title 'tumor'
