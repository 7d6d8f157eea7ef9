set terminal pngcairo size 900,600 noenhanced
set output 'docs/results/fig5/fig5.png'
set tmargin 6
set title 'Training time of selling one model to 3 users (EncryIP Fig. 5)' offset 0,1
set label 1 'resnet18 width 0.25, fashion-mnist, 6000 images, 3 epochs, 1 thread(s), avx512_core_bf16' at graph 0.5, graph 1.06 center
set ylabel 'training time (CPU seconds, all trainings of the method)'
set yrange [0:85.2964]
set style fill solid 0.6 border -1
set boxwidth 0.6
set grid ytics
unset key
set xrange [-0.6:4.6]
plot '-' using 1:2:xtic(3) with boxes, '-' using 1:2:3 with labels offset 0,1
0 26.9270288 "Original"
1 39.7032141 "EncryIP"
2 73.9816144 "PR"
3 74.1707962 "DeepIPR"
4 29.6206249 "EW"
e
0 26.9270288 "26.9"
1 39.7032141 "39.7"
2 73.9816144 "74"
3 74.1707962 "74.2"
4 29.6206249 "29.6"
e
