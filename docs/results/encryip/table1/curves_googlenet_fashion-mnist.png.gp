set terminal pngcairo size 800,560 noenhanced
set output '/work/main/docs/results/encryip/table1/curves_googlenet_fashion-mnist.png'
set title 'googlenet on fashion-mnist: test accuracy per epoch (mean over repeats)'
set xlabel 'epoch'
set ylabel 'test accuracy'
set grid
set key outside right
plot '-' with linespoints title 'original', '-' with linespoints title 'EncryIP (paper group)', '-' with linespoints title 'EncryIP (ristretto255)'
1 0.100666667
2 0.475333333
3 0.775666667
e
1 0.132333333
2 0.500333333
3 0.731666667
e
1 0.398666667
2 0.719333333
3 0.779333333
e
