# case_dice: written by LiTSKit. Re-plot with: cd charts && gnuplot case_dice.gp
datafile = 'case_dice.dat'
if (!exists('outfile')) outfile = '../figures/case_dice.png'
set terminal pngcairo size 900,560 font 'sans,11' noenhanced
set output outfile
set border lw 1.2
set grid lc rgb '#dddddd'
set title 'Dice per case (n = 1)'
set xlabel 'liver Dice'
set ylabel 'lesion Dice'
set xrange [0:1.02]
set yrange [-0.15:1.05]
set ytics 0, 0.2, 1
set key below
set arrow 1 from graph 0, first -0.02 to graph 1, first -0.02 nohead dt 3 lc rgb '#999999'
plot datafile using 1:2 with points pt 7 ps 1.0 lc rgb '#0072B2' title 'cases with a lesion Dice (n = 1)', datafile using 1:4:5 with labels offset 1,0.7 font ',8' notitle
