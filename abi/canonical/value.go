package canonical

// Value is a component value in Go. Which Go type holds a value depends on
// its component type (component.ValueType):
//
//	bool                      bool
//	s8 u8 s16 u16             int8 uint8 int16 uint16
//	s32 u32 s64 u64           int32 uint32 int64 uint64
//	f32 f64                   float32 float64
//	char                      Char
//	string                    string
//	list<u8>                  []byte (lowering also takes List)
//	list<T>                   List
//	list<T, N> (fixed-size)   as list<T>, with exactly N elements
//	record                    Record (fields in declaration order)
//	tuple                     Tuple
//	variant                   Variant
//	enum                      Enum
//	option<T>                 Option
//	result<T, E>              Result
//	flags                     Flags
//	own<R>                    Own
//	borrow<R>                 Borrow
//
// A value is only meaningful together with its type: the same Go value
// (an Enum 2, say) means different things under different types. Lifting
// always produces the forms above; lowering checks that a value has the
// form its type needs and says which type and value did not match.
// ToValue and FromValue convert between these forms and natural Go types.
type Value = any

// Char is a Unicode scalar value (not a surrogate, at most U+10FFFF). It is
// its own type so that a char is told apart from an s32.
type Char rune

// List is a list of values of one type (list<T> for T other than u8).
type List []Value

// Record holds a record's field values, in the order the type declares
// the fields.
type Record []Value

// Tuple holds a tuple's values, in order.
type Tuple []Value

// Variant is a variant value: the index of its case among the type's
// cases, and the case's payload (nil for a case without one).
type Variant struct {
	Case  uint32
	Value Value
}

// Enum is an enum value: the index of its label among the type's labels.
type Enum uint32

// Option is an option value: Some is false for none; Value is the payload
// of some.
type Option struct {
	Some  bool
	Value Value
}

// Result is a result value: Err says which side it is; Value is that
// side's payload (nil when the side has none).
type Result struct {
	Err   bool
	Value Value
}

// Flags is a flags value: bit i is set when the type's label i is.
// A flags type has at most 32 labels.
type Flags uint32

// Own is an owned handle to a resource, as it crosses a component
// boundary: the resource's representation (for a resource defined by a
// component, the i32 its resource.new was given; for a resource the host
// defines, whatever the host chose). Lowering an Own into a component adds
// a handle to the component's table; lifting one removes it.
type Own struct {
	Rep uint32
}

// Borrow is a borrowed handle to a resource for the duration of one call:
// the resource's representation, as for Own.
type Borrow struct {
	Rep uint32
}

// Some returns the option value some(v).
func Some(v Value) Option { return Option{Some: true, Value: v} }

// None is the option value none.
var None = Option{}

// OK returns the result value ok(v); v is nil for a result without an ok payload.
func OK(v Value) Result { return Result{Value: v} }

// Err returns the result value err(v); v is nil for a result without an error payload.
func Err(v Value) Result { return Result{Err: true, Value: v} }
