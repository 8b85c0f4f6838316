# sampler_shares: written by LiTSKit. Re-plot with: cd charts && gnuplot sampler_shares.gp
datafile = 'sampler_shares.dat'
if (!exists('outfile')) outfile = '../figures/sampler_shares.png'
set terminal pngcairo size 900,560 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set title 'What the sampler produced (share of patches per epoch)'
set xlabel 'epoch'
set ylabel 'share of patches'
set yrange [0:1.05]
set key bottom right
set xrange [0.5:6.5]
set xtics 1
set mxtics 1
set format x '%.0f'
plot datafile using 1:7 with linespoints title 'contain liver', datafile using 1:8 with linespoints title 'contain lesion', datafile using 1:9 with linespoints title 'cover top third', datafile using 1:10 with linespoints title 'cover middle third', datafile using 1:11 with linespoints title 'cover bottom third'
