In [1]: import tensorflow as tf
   ...: from tensorflow.keras.models import Sequential
   ...: from tensorflow.keras.layers import Conv2D, MaxPooling2D, Dense, Flatten, Dropout, BatchNormalization

In [2]: (x_train, y_train), (x_test, y_test) = tf.keras.datasets.mnist.load_data()
   ...: x_train, x_test = x_train[..., None] / 255.0, x_test[..., None] / 255.0

In [3]: model = Sequential()
   ...: model.add(Conv2D(32, kernel_size=3, activation="relu", input_shape=(28, 28, 1)))
   ...: model.add(BatchNormalization())
   ...: model.add(Conv2D(64, kernel_size=(3, 3), activation="relu"))
   ...: model.add(BatchNormalization())
   ...: model.add(MaxPooling2D(pool_size=(2, 2)))
   ...: model.add(Dropout(0.25))
   ...: model.add(Conv2D(128, 3, activation="relu"))
   ...: model.add(BatchNormalization())
   ...: model.add(MaxPooling2D(2))
   ...: model.add(Dropout(rate=0.25))
   ...: model.add(Flatten())
   ...: model.add(Dense(128, activation="relu"))
   ...: model.add(BatchNormalization())
   ...: model.add(Dropout(0.5))
   ...: model.add(Dense(10, activation="softmax"))

In [4]: model.summary()
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 505,098 (1.93 MB)
 Trainable params: 504,394 (1.92 MB)
 Non-trainable params: 704 (2.75 KB)

In [5]: model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.001),
   ...:               loss="sparse_categorical_crossentropy", metrics=["accuracy"])

In [6]: model.fit(x_train, y_train, batch_size=128, epochs=15, validation_split=0.1)
Epoch 1/15
422/422 ━━━━━━━━━━━━━━━━━━━━ 9s 17ms/step - accuracy: 0.8935 - loss: 0.3459
Out[6]: <keras.src.callbacks.history.History at 0x7f3b1c2d5e50>
