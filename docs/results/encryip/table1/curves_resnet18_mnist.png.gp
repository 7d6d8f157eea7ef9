set terminal pngcairo size 800,560 noenhanced
set output '/work/main/docs/results/encryip/table1/curves_resnet18_mnist.png'
set title 'resnet18 on mnist: test accuracy per epoch (mean over repeats)'
set xlabel 'epoch'
set ylabel 'test accuracy'
set grid
set key outside right
plot '-' with linespoints title 'original', '-' with linespoints title 'EncryIP (paper group)', '-' with linespoints title 'EncryIP (ristretto255)'
1 0.776333333
2 0.862333333
3 0.983
e
1 0.454666667
2 0.972666667
3 0.98
e
1 0.681
2 0.961
3 0.985666667
e
