set terminal pngcairo size 800,560 noenhanced
set output '/work/main/docs/results/encryip/table1/curves_googlenet_mnist.png'
set title 'googlenet on mnist: test accuracy per epoch (mean over repeats)'
set xlabel 'epoch'
set ylabel 'test accuracy'
set grid
set key outside right
plot '-' with linespoints title 'original', '-' with linespoints title 'EncryIP (paper group)', '-' with linespoints title 'EncryIP (ristretto255)'
1 0.117
2 0.298333333
3 0.938666667
e
1 0.309
2 0.635333333
3 0.952333333
e
1 0.488333333
2 0.910666667
3 0.972333333
e
