set terminal pngcairo size 900,600 noenhanced
set output 'docs/results/fig5/fig5.png'
set tmargin 6
set title 'Training time of selling one model to 3 users (EncryIP Fig. 5)' offset 0,1
set label 1 'resnet18 width 0.25, fashion-mnist, 6000 images, 3 epochs, 1 thread(s), avx512_core_bf16' at graph 0.5, graph 1.06 center
set ylabel 'training time (CPU seconds, all trainings of the method)'
set yrange [0:94.8761]
set style fill solid 0.6 border -1
set boxwidth 0.6
set grid ytics
unset key
set xrange [-0.6:4.6]
plot '-' using 1:2:xtic(3) with boxes, '-' using 1:2:3 with labels offset 0,1
0 29.1218989 "Original"
1 36.5338005 "EncryIP"
2 77.8698114 "PR"
3 82.5009967 "DeepIPR"
4 30.6172726 "EW"
e
0 29.1218989 "29"
1 36.5338005 "37"
2 77.8698114 "78"
3 82.5009967 "83"
4 30.6172726 "31"
e
